// The pictures of docs/benchmarks.md, drawn from the benches' raw results as
// self-contained SVG:
//
//   deno run -A bench/plot.ts --search <vector --scale result json> --http <http --baseline json>
//
// - docs/benchmarks-search.svg: per-user search at a million rows, p95 at the most clients
//   by user size, for each strategy of the run (this schema in vector and hybrid mode, the
//   baseline's, one shared HNSW index), each bar labelled with its recall@10; the target.
// - docs/benchmarks-http.svg: requests per second of each route, today's functions beside
//   the baseline's and beside the same RPC over direct SQL.

import { parseArgs } from "node:util";

const COLORS = ["#1f77b4", "#aec7e8", "#d62728", "#7f7f7f", "#2ca02c", "#9467bd"];

interface Bars {
  title: string;
  unit: string;
  groups: string[];
  series: string[];
  /** value[series][group]; null: not measured. */
  values: (number | null)[][];
  /** A short text under each bar (e.g. recall), same shape as values. */
  labels?: (string | null)[][];
  /** A horizontal mark per group (e.g. the target), or none. */
  marks?: (number | null)[];
  markLabel?: string;
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");

/** Grouped bars with a legend on the right; sized so that no two labels overlap. */
export function barsSvg(b: Bars): string {
  const barW = 16, gap = 18, L = 64, R = 230, T = 48, B = 70;
  // Wide enough for its label (~7 px a character at 12 px): no two labels overlap.
  const groupW = Math.max(
    b.series.length * barW + gap,
    Math.max(...b.groups.map((g) => g.length)) * 7 + 10,
  );
  const W = L + b.groups.length * groupW + R, H = 420;
  const max = Math.max(
    ...b.values.flat().filter((v): v is number => v !== null),
    ...(b.marks ?? [])
      .filter((v): v is number => v !== null),
  ) * 1.12;
  const y = (v: number) => T + (1 - v / max) * (H - T - B);
  const step = niceStep(max / 6);
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${(L + W - R) / 2}" y="24" text-anchor="middle" font-size="14">${
      esc(b.title)
    }</text>`,
  ];
  for (let v = 0; v <= max; v += step) {
    out.push(
      `<line x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e5e5"/>`,
      `<text x="${L - 6}" y="${y(v) + 4}" text-anchor="end">${Math.round(v * 10) / 10}</text>`,
    );
  }
  out.push(
    `<text x="16" y="${(T + H - B) / 2}" text-anchor="middle" transform="rotate(-90 16 ${
      (T + H - B) / 2
    })">${esc(b.unit)}</text>`,
  );
  b.groups.forEach((g, gi) => {
    const x0 = L + gi * groupW + (groupW - b.series.length * barW) / 2;
    b.series.forEach((_, si) => {
      const v = b.values[si][gi];
      if (v === null) return;
      const x = x0 + si * barW;
      out.push(
        `<rect x="${x}" y="${y(v)}" width="${barW - 2}" height="${H - B - y(v)}" fill="${
          COLORS[si % COLORS.length]
        }"/>`,
      );
      const label = b.labels?.[si][gi];
      if (label) {
        out.push(
          `<text x="${x + barW / 2 - 1}" y="${
            y(v) - 4
          }" font-size="9" text-anchor="start" transform="rotate(-90 ${x + barW / 2 - 1} ${
            y(v) - 4
          })">${esc(label)}</text>`,
        );
      }
    });
    const mark = b.marks?.[gi];
    if (mark !== null && mark !== undefined) {
      out.push(
        `<line x1="${x0 - 2}" x2="${x0 + b.series.length * barW}" y1="${y(mark)}" y2="${
          y(mark)
        }" stroke="black" stroke-dasharray="4 3"/>`,
      );
    }
    out.push(
      `<text x="${x0 + (b.series.length * barW) / 2}" y="${H - B + 18}" text-anchor="middle">${
        esc(g)
      }</text>`,
    );
  });
  out.push(`<line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" stroke="black"/>`);
  b.series.forEach((s, si) => {
    const ly = T + 10 + si * 20;
    out.push(
      `<rect x="${W - R + 16}" y="${ly - 10}" width="12" height="12" fill="${
        COLORS[si % COLORS.length]
      }"/>`,
      `<text x="${W - R + 34}" y="${ly}">${esc(s)}</text>`,
    );
  });
  if (b.marks && b.markLabel) {
    const ly = T + 10 + b.series.length * 20;
    out.push(
      `<line x1="${W - R + 16}" x2="${W - R + 28}" y1="${ly - 4}" y2="${
        ly - 4
      }" stroke="black" stroke-dasharray="4 3"/>`,
      `<text x="${W - R + 34}" y="${ly}">${esc(b.markLabel)}</text>`,
    );
  }
  out.push("</svg>");
  return out.join("\n") + "\n";
}

function niceStep(raw: number): number {
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
}

interface SearchRow {
  rows_per_user: number;
  clients: number;
  strategy: string;
  recall_at_10: number;
  p95_ms: number;
}

/** Per-user search at scale: p95 by user size and strategy, recall on each bar. */
export function searchBars(result: { per_user: { rows: SearchRow[] } }): Bars {
  const rows = result.per_user.rows;
  const clients = Math.max(...rows.map((r) => r.clients));
  const at = rows.filter((r) => r.clients === clients);
  const sizes = [...new Set(at.map((r) => r.rows_per_user))].sort((a, b) => a - b);
  // "exact, vector mode" and "own graph, vector mode" are one strategy on two paths.
  const series = [...new Set(at.map((r) => r.strategy.replace(/^(exact|own graph), /, "")))];
  const cell = (s: string, n: number) =>
    at.find((r) => r.rows_per_user === n && r.strategy.replace(/^(exact|own graph), /, "") === s);
  return {
    title: `Per-user search at a million rows: p95 at ${clients} clients (label: recall@10)`,
    unit: "p95 ms",
    groups: sizes.map((n) => `${n.toLocaleString("en-US")} rows`),
    series: series.map((s) => (/^[0-9a-f]{7,}$/.test(s) ? `before (${s})` : s)),
    values: series.map((s) => sizes.map((n) => cell(s, n)?.p95_ms ?? null)),
    labels: series.map((s) => sizes.map((n) => cell(s, n)?.recall_at_10.toFixed(3) ?? null)),
    marks: sizes.map((n) => (n <= 10_000 ? 20 : 30)),
    markLabel: "target",
  };
}

interface HttpRow {
  route: string;
  code: string;
  req_per_s: number;
}

/** Requests per second of each route: each code version and direct SQL. */
export function httpBars(result: { connections: number; rows: HttpRow[] }): Bars {
  const routes = [...new Set(result.rows.map((r) => r.route))];
  const codes = [...new Set(result.rows.map((r) => r.code))];
  return {
    title: `Requests per second at ${result.connections} connections: functions and direct SQL`,
    unit: "requests / s",
    groups: routes,
    series: codes,
    values: codes.map((c) =>
      routes.map((r) => result.rows.find((x) => x.route === r && x.code === c)?.req_per_s ?? null)
    ),
  };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { search: { type: "string" }, http: { type: "string" }, out: { type: "string" } },
  });
  const out = new URL(values.out ?? "../docs/", import.meta.url);
  const read = async (path: string) => JSON.parse(await Deno.readTextFile(path)).result;
  // Written as `deno fmt` lays SVG out, so that npm test's format check passes.
  const write = async (file: URL, svg: string) => {
    await Deno.writeTextFile(file, svg);
    await new Deno.Command(Deno.execPath(), { args: ["fmt", "-q", file.pathname] }).output();
    console.log(file.pathname);
  };
  if (values.search) {
    await write(
      new URL("benchmarks-search.svg", out),
      barsSvg(searchBars(await read(values.search))),
    );
  }
  if (values.http) {
    await write(new URL("benchmarks-http.svg", out), barsSvg(httpBars(await read(values.http))));
  }
  if (!values.search && !values.http) {
    console.error("usage: deno run -A bench/plot.ts --search <vector json> --http <http json>");
    Deno.exit(2);
  }
}
