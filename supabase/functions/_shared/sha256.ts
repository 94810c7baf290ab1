// SHA-256 of a text's UTF-8 bytes, as lowercase hex: the same as the database's
// content_hash (encode(sha256(convert_to(text, 'UTF8')), 'hex')), and cache key parts.

export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
