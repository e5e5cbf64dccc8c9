"""Prompt sets: named classes with their natural-language prompts, JSON I/O and the shipped defaults."""

from core.prompts.io import (
    DEFAULT_SET,
    default_prompt_set,
    default_prompt_sets,
    export_clip_benchmark,
    import_clip_benchmark,
    load_prompt_set,
    prompts_dir,
    read_prompt_file,
    resolve_prompts,
    save_prompt_set,
)
from core.prompts.prompt_set import PromptSet

__all__ = [
    "DEFAULT_SET",
    "PromptSet",
    "default_prompt_set",
    "default_prompt_sets",
    "export_clip_benchmark",
    "import_clip_benchmark",
    "load_prompt_set",
    "prompts_dir",
    "read_prompt_file",
    "resolve_prompts",
    "save_prompt_set",
]
