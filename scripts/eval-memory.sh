#!/usr/bin/env bash
# `npm run eval:memory [-- --only NAME]`: the memory pipeline's evaluation
# (eval/memory.ts, docs/memory.md) against the `eval` stack (.local/eval/, ports
# 54401/54402/54410), started unless it is running and stopped afterwards.
# EVAL_OPENAI_BASE_URL and EVAL_OPENAI_API_KEY aim it at any OpenAI-compatible
# endpoint; OPENAI_CHAT_MODEL and OPENAI_EMBEDDING_MODEL choose the models.
HELP_DENO_SCRIPT=eval/memory.ts
source "$(dirname "$0")/lib.sh"

run_on_stack eval eval/memory.ts "$@"
