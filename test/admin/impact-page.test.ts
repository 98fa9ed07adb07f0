/**
 * The impact page's chart data goes into a <script type="application/json"> block as it is: no
 * text in it (a question staff typed, a session code) can end the block or start markup.
 */
import { describe, expect, it } from "vitest";
import { jsonForScript } from "../../src/admin/dashboard/pages/programmes-impact.js";

describe("jsonForScript", () => {
  it("escapes what could close the block, and reads back the same", () => {
    const value = { labels: ["</script><script>alert(1)</script>", "A & B", "<!--", "\u2028"] };
    const json = jsonForScript(value);
    expect(json).not.toMatch(/[<>&\u2028]/);
    expect(JSON.parse(json)).toEqual(value);
  });
});
