// The chat function from a real browser, as an app would call it: Debian's chromium,
// driven by playwright-core, opens a page served by this test on another origin
// (so every call is cross-origin, with preflights), signs in with a local access
// token, creates a session, sends a message and renders the streamed reply as it
// arrives. The page is plain fetch + ReadableStream, no framework.
import assert from "node:assert/strict";
import { chromium } from "playwright-core";
import { FUNCTIONS_URL, localOpenAi, request, userWithKey } from "../harness/stack.ts";

const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>TripSage chat</title>
<main>
  <ol id="log"></ol>
  <p id="reply"></p>
  <p id="status">idle</p>
</main>
<script type="module">
  // Signed in: the app holds an access token (here from the URL fragment).
  const params = new URLSearchParams(location.hash.slice(1));
  const api = params.get("api");
  const token = params.get("token");
  const headers = { Authorization: "Bearer " + token, "content-type": "application/json" };
  const status = (s) => (document.getElementById("status").textContent = s);
  window.renders = [];

  async function chat(text) {
    status("creating session");
    const s = await fetch(api + "/chat/sessions", {
      method: "POST", headers, body: JSON.stringify({ title: "From the browser", remember: false }),
    });
    if (!s.ok) return status("session failed " + s.status);
    const session = await s.json();
    window.sessionId = session.id;
    status("sending");
    const res = await fetch(api + "/chat/sessions/" + session.id + "/messages", {
      method: "POST", headers, body: JSON.stringify({ content: text }),
    });
    if (!res.ok) return status("send failed " + res.status + " " + await res.text());
    status("streaming");
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end;
      while ((end = buffer.indexOf("\\n\\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (!event || !data) continue; // a keep-alive comment
        const payload = JSON.parse(data);
        if (event === "delta") {
          const reply = document.getElementById("reply");
          reply.textContent += payload.text;
          window.renders.push(reply.textContent);
        } else if (event === "done") status("done");
        else if (event === "error") status("error " + payload.code);
      }
    }
  }
  window.chat = chat;
</script>`;

Deno.test({
  name: "chat in a browser: cross-origin, streamed, rendered as it arrives",
  // playwright keeps its own pipes and timers
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const user = await userWithKey("chat-browser");
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      () => new Response(PAGE, { headers: { "content-type": "text/html; charset=utf-8" } }),
    );
    const origin = `http://127.0.0.1:${server.addr.port}`;
    const browser = await chromium.launch({
      executablePath: Deno.env.get("CHROMIUM_PATH") ?? "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox"],
    });
    // Slow tokens, so that rendering while streaming can be seen.
    await localOpenAi("/__faults", {
      method: "POST",
      body: JSON.stringify({ chunk_ms: 80, path: "chat/completions" }),
    });
    try {
      const page = await browser.newPage();
      const failures: string[] = [];
      page.on("console", (m) => m.type() === "error" && failures.push(m.text()));
      const hash = new URLSearchParams({ api: FUNCTIONS_URL(), token: user.token });
      await page.goto(`${origin}/#${hash}`);
      assert.equal(
        new URL(page.url()).origin,
        origin,
        "the page is on another origin than the API",
      );
      const sent = page.evaluate(() =>
        (globalThis as unknown as { chat(t: string): Promise<void> }).chat(
          "Is the tram to Belém a good idea?",
        )
      );
      // Part of the reply is on screen while the rest is still coming.
      // (A string: it runs in the page, whose DOM types this file does not load.)
      await page.waitForFunction(
        `document.getElementById("status").textContent === "streaming" &&
         document.getElementById("reply").textContent.length > 0`,
      );
      await sent;
      assert.equal(await page.textContent("#status"), "done", failures.join("\n"));
      const renders = await page.evaluate(() =>
        (globalThis as unknown as { renders: string[] }).renders
      );
      const shown = await page.textContent("#reply");
      assert.ok(renders.length > 3, `rendered in ${renders.length} steps`);
      assert.ok(renders[0].length < shown!.length, "the first render held part of the reply");
      assert.match(shown!, /^\(local model\) You said: Is the tram to Belém a good idea\?/);

      // What the browser showed is what was stored.
      const sessionId = await page.evaluate(() =>
        (globalThis as unknown as { sessionId: string }).sessionId
      );
      const stored = await request(user, "GET", `/chat/sessions/${sessionId}/messages`);
      assert.equal(stored.body.items[1].content, shown);
      assert.deepEqual(failures, [], "no CORS or script errors");
    } finally {
      await localOpenAi("/__faults", { method: "DELETE" });
      await browser.close();
      await server.shutdown();
    }
  },
});
