// Chat: the function's own overhead on a streamed turn, and many long streams at once.
//
// 1. Time to first token through the function, minus the local model's configured
//    first-token delay: what the function adds before the reply starts (storing the
//    user message, reading history, building the prompt, opening the upstream call).
//    Sequential turns; a new session every 10 turns so history stays short.
// 2. 50 concurrent streams of ~20 s (the local model paced token by token): every
//    stream must end with `done`, and the functions process's memory (RSS, from
//    /proc) should stay flat: sampled every second, compared start, peak and end.

import { summarize, table } from "../harness/measure.ts";
import { adminPool, benchUser, env } from "../harness/stack.ts";

const FIRST_TOKEN_MS = 200;

interface TurnTiming {
  firstByteMs: number;
  firstDeltaMs: number;
  ok: boolean;
}

async function newSession(headers: Record<string, string>): Promise<string> {
  const r = await fetch(`${env("SUPABASE_FUNCTIONS_URL")}/chat/sessions`, {
    method: "POST",
    headers,
    body: JSON.stringify({ remember: false }),
  });
  if (r.status !== 201) throw new Error(`session: ${r.status} ${await r.text()}`);
  return (await r.json()).id;
}

/** One turn, read to its end: when the first byte and the first delta arrived. */
async function turn(headers: Record<string, string>, session: string): Promise<TurnTiming> {
  const started = performance.now();
  const res = await fetch(`${env("SUPABASE_FUNCTIONS_URL")}/chat/sessions/${session}/messages`, {
    method: "POST",
    headers,
    body: JSON.stringify({ content: "Plan a day in Kyoto around the temples" }),
  });
  let firstByteMs = -1;
  let firstDeltaMs = -1;
  let text = "";
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    if (firstByteMs < 0) firstByteMs = performance.now() - started;
    text += value;
    if (firstDeltaMs < 0 && text.includes("event: delta")) {
      firstDeltaMs = performance.now() - started;
    }
  }
  return { firstByteMs, firstDeltaMs, ok: res.status === 200 && text.includes("event: done") };
}

async function faults(body: unknown) {
  const base = env("OPENAI_BASE_URL").replace(/\/v1$/, "");
  const r = await fetch(`${base}/__faults`, {
    method: body === null ? "DELETE" : "POST",
    headers: { Authorization: `Bearer ${env("LOCAL_OPENAI_KEY")}` },
    body: body === null ? undefined : JSON.stringify(body),
  });
  await r.body?.cancel();
}

/** The pid of the process listening on the functions port (the local server). */
async function functionsPid(): Promise<number | null> {
  const port = new URL(env("SUPABASE_FUNCTIONS_URL")).port;
  const out = await new Deno.Command("ss", { args: ["-ltnpH", `sport = :${port}`] }).output();
  const m = /pid=(\d+)/.exec(new TextDecoder().decode(out.stdout));
  return m ? Number(m[1]) : null;
}

async function rssMib(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

export async function chatBench(opts: { turns: number; streams: number; streamSeconds: number }) {
  const run = Date.now();
  const user = await benchUser(`chat-${run}@bench.local`);

  // 1. Overhead before the first token.
  await faults({ first_token_ms: FIRST_TOKEN_MS, path: "chat/completions" });
  const timings: TurnTiming[] = [];
  let session = "";
  try {
    for (let i = 0; i < opts.turns; i++) {
      if (i % 10 === 0) session = await newSession(user.headers);
      timings.push(await turn(user.headers, session));
    }
  } finally {
    await faults(null);
  }
  const ok = timings.filter((t) => t.ok);
  const overhead = summarize(ok.map((t) => t.firstDeltaMs - FIRST_TOKEN_MS));
  const firstByte = summarize(ok.map((t) => t.firstByteMs));
  table(`chat: time to first token minus the model's ${FIRST_TOKEN_MS} ms (function overhead)`, [
    { measure: "first delta - first-token delay", errors: timings.length - ok.length, ...overhead },
    { measure: "first byte (meta event)", errors: timings.length - ok.length, ...firstByte },
  ]);

  // 2. Many long streams at once. The local reply here is ~12 tokens.
  const chunkMs = Math.round((opts.streamSeconds * 1000) / 12);
  await faults({ chunk_ms: chunkMs, path: "chat/completions" });
  const pid = await functionsPid();
  const samples: number[] = [];
  const sampler = pid === null
    ? undefined
    : setInterval(async () => samples.push(await rssMib(pid)), 1000);
  const before = pid === null ? null : await rssMib(pid);
  let streams: TurnTiming[] = [];
  const started = performance.now();
  try {
    const users = await Promise.all(
      Array.from({ length: opts.streams }, (_, i) => benchUser(`chat-${run}-${i}@bench.local`)),
    );
    const sessions = await Promise.all(users.map((u) => newSession(u.headers)));
    streams = await Promise.all(users.map((u, i) => turn(u.headers, sessions[i])));
  } finally {
    clearInterval(sampler);
    await faults(null);
  }
  const seconds = (performance.now() - started) / 1000;
  const after = pid === null ? null : await rssMib(pid);
  const streamRow = {
    streams: opts.streams,
    completed: streams.filter((s) => s.ok).length,
    errors: streams.filter((s) => !s.ok).length,
    wall_s: Math.round(seconds * 10) / 10,
    rss_before_mib: before,
    rss_peak_mib: samples.length ? Math.max(...samples) : null,
    rss_after_mib: after,
  };
  table(`chat: ${opts.streams} concurrent streams of ~${opts.streamSeconds} s`, [streamRow]);

  const admin = adminPool(1);
  await admin.query(`delete from auth.users where email like $1`, [`chat-${run}%`]);
  await admin.end();
  return {
    first_token_delay_ms: FIRST_TOKEN_MS,
    overhead,
    first_byte: firstByte,
    streams: streamRow,
  };
}
