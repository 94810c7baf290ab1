// Recall@10 against QPS, one line per client count, as a self-contained SVG:
// deno run -A bench/plot.ts <vector json>... docs/benchmarks-vector.svg
// Several result files of the same data set and index (e.g. a second run at more
// ef_search values) are drawn as one set of points.

interface Row {
  ef_search: number;
  clients: number;
  recall_at_10: number;
  qps: number;
}

export function recallQpsSvg(rows: Row[], title: string): string {
  const W = 720, H = 440, L = 70, R = 150, T = 50, B = 60;
  const maxQps = Math.max(...rows.map((r) => r.qps)) * 1.1;
  const minRecall = Math.max(0, Math.floor(Math.min(...rows.map((r) => r.recall_at_10)) * 10) / 10);
  const x = (qps: number) => L + (qps / maxQps) * (W - L - R);
  const y = (rec: number) => T + (1 - (rec - minRecall) / (1 - minRecall)) * (H - T - B);
  const colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"];
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="24" text-anchor="middle" font-size="14">${title}</text>`,
  ];
  for (let i = 0; i <= 5; i++) {
    const rec = minRecall + (i / 5) * (1 - minRecall);
    const qps = (i / 5) * maxQps;
    parts.push(
      `<line x1="${L}" x2="${W - R}" y1="${y(rec)}" y2="${y(rec)}" stroke="#ddd"/>`,
      `<text x="${L - 8}" y="${y(rec) + 4}" text-anchor="end">${rec.toFixed(2)}</text>`,
      `<line x1="${x(qps)}" x2="${x(qps)}" y1="${T}" y2="${H - B}" stroke="#eee"/>`,
      `<text x="${x(qps)}" y="${H - B + 18}" text-anchor="middle">${Math.round(qps)}</text>`,
    );
  }
  parts.push(
    `<line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" stroke="black"/>`,
    `<line x1="${L}" x2="${L}" y1="${T}" y2="${H - B}" stroke="black"/>`,
    `<text x="${(L + W - R) / 2}" y="${H - 16}" text-anchor="middle">queries per second</text>`,
    `<text x="18" y="${(T + H - B) / 2}" text-anchor="middle" transform="rotate(-90 18 ${
      (T + H - B) / 2
    })">recall@10</text>`,
  );
  if (0.99 >= minRecall) {
    parts.push(
      `<line x1="${L}" x2="${W - R}" y1="${y(0.99)}" y2="${
        y(0.99)
      }" stroke="#888" stroke-dasharray="4 4"/>`,
      `<text x="${W - R + 4}" y="${y(0.99) + 4}" fill="#555">recall 0.99</text>`,
    );
  }
  const groups = [...new Set(rows.map((r) => r.clients))].sort((a, b) => a - b);
  groups.forEach((clients, gi) => {
    const pts = rows.filter((r) => r.clients === clients).sort((a, b) => a.ef_search - b.ef_search);
    const color = colors[gi % colors.length];
    parts.push(
      `<polyline fill="none" stroke="${color}" stroke-width="2" points="${
        pts.map((p) => `${x(p.qps).toFixed(1)},${y(p.recall_at_10).toFixed(1)}`).join(" ")
      }"/>`,
    );
    for (const p of pts) {
      parts.push(
        `<circle cx="${x(p.qps).toFixed(1)}" cy="${
          y(p.recall_at_10).toFixed(1)
        }" r="3.5" fill="${color}"/>`,
        `<text x="${(x(p.qps) + 6).toFixed(1)}" y="${
          (y(p.recall_at_10) - 6).toFixed(1)
        }" font-size="10" fill="${color}">ef ${p.ef_search}</text>`,
      );
    }
    parts.push(
      `<rect x="${W - R + 10}" y="${T + gi * 20}" width="12" height="12" fill="${color}"/>`,
      `<text x="${W - R + 28}" y="${T + gi * 20 + 10}">${clients} client${
        clients > 1 ? "s" : ""
      }</text>`,
    );
  });
  parts.push("</svg>");
  return parts.join("\n") + "\n";
}

if (import.meta.main) {
  const inputs = Deno.args.slice(0, -1);
  const output = Deno.args.at(-1);
  if (inputs.length === 0 || !output?.endsWith(".svg")) {
    console.error("usage: deno run -A bench/plot.ts <vector results json>... <output.svg>");
    Deno.exit(2);
  }
  const runs = await Promise.all(inputs.map(async (f) => JSON.parse(await Deno.readTextFile(f))));
  const g = runs[0].result.global;
  const index = (r: typeof g) => `${r.size} ${r.data} ${r.m} ${r.ef_construction}`;
  const other = runs.find((r) => index(r.result.global) !== index(g));
  if (other) {
    console.error("every input must be a run over the same data set and index");
    Deno.exit(2);
  }
  const params = g.m ? `, ${g.data}, m ${g.m}, ef_construction ${g.ef_construction}` : "";
  await Deno.writeTextFile(
    output,
    recallQpsSvg(
      runs.flatMap((r) => r.result.global.rows),
      `HNSW recall@10 vs QPS, ${g.size} x ${g.dimensions}${params} (${
        runs[0].machine.cores
      } cores)`,
    ),
  );
  console.log(`wrote ${output}`);
}
