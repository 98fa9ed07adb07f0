import { describe, expect, it } from "vitest";
import { formatPhone, parsePhone, type PhoneProblem } from "../../src/understanding/phone.js";

describe("reading a phone number", () => {
  it.each([
    "081234567890",
    "0812 3456 7890",
    "0812-3456-7890",
    "0812.3456.7890",
    "(0812) 3456-7890",
    "6281234567890",
    "62 812 3456 7890",
    "+6281234567890",
    "+62 812-3456-7890",
    "+62 (0) 812 3456 7890",
    "+62 0812 3456 7890",
    "(+62) 812 3456 7890",
    "0062 812 3456 7890",
    "812-3456-7890",
    " 0812 3456 7890\n",
    "0812\u20133456\u20137890",
    "\uff10\uff18\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19\uff10",
  ])("takes %j as 6281234567890", (text) => {
    expect(parsePhone(text)).toEqual({ ok: true, phone: "6281234567890", country: "ID" });
  });

  it.each([
    ["0811 7123 456", "628117123456"],
    ["0857-1000-9999", "6285710009999"],
    ["0838 1234 5678", "6283812345678"],
    ["0895 1234 5678", "6289512345678"],
    ["0881 2345 6789", "6288123456789"],
    ["0812 345 678", "62812345678"],
    ["0812-3456-78901", "62812345678901"],
  ])("takes the Indonesian mobile number %j", (text, phone) => {
    expect(parsePhone(text)).toEqual({ ok: true, phone, country: "ID" });
  });

  it.each([
    ["+60 12-345 6789", "60123456789", "MY"],
    ["+65 9123 4567", "6591234567", "SG"],
    ["+61 412 345 678", "61412345678", "AU"],
    ["0060 12 345 6789", "60123456789", "MY"],
  ])("takes the number from abroad %j, written with its country code", (text, phone, country) => {
    expect(parsePhone(text)).toEqual({ ok: true, phone, country });
  });

  it.each<[string, PhoneProblem]>([
    // Fixed lines: Pangkalpinang, Jakarta, Koba; a landline in Kuala Lumpur.
    ["0717 421234", "landline"],
    ["(0717) 421234", "landline"],
    ["021-5551234", "landline"],
    ["+62 21 3456 789", "landline"],
    ["0718 41234", "landline"],
    ["+60 3-2161 2345", "landline"],
    // Toll-free and premium numbers.
    ["0800 1234567", "landline"],
    ["+62 809 1234567", "landline"],
    ["08123", "too_short"],
    ["081234567", "too_short"],
    ["12345", "too_short"],
    ["08123456789012", "too_long"],
    ["0812 3456 7890 1234", "too_long"],
    ["", "empty"],
    ["   ", "empty"],
    ["abc", "characters"],
    ["0812abc7890", "characters"],
    ["0812/3456/7890", "characters"],
    ["0812 3456 7890 / 0813 1111 2222", "characters"],
    ["+62 812 3456 7890 ext 12", "characters"],
    ["+62+812", "characters"],
    ["nomor saya 081234567890", "characters"],
    // Malaysian, written without its country code: read as Indonesian, which it is not.
    ["60123456789", "invalid"],
    ["+999 1234567", "invalid"],
    ["+1 (555) 010-9999", "invalid"],
  ])("refuses %j: %s", (text, expected) => {
    expect(parsePhone(text)).toEqual({ ok: false, problem: expected });
  });
});

describe("showing a stored phone number", () => {
  it("writes Indonesian numbers the way people do at home", () => {
    expect(formatPhone("6281234567890")).toBe("0812-3456-7890");
    expect(formatPhone("628117123456")).toBe("0811-7123-456");
    expect(formatPhone("6281234567890", true)).toBe("081234567890");
  });

  it("writes numbers from abroad in international form", () => {
    expect(formatPhone("60123456789")).toBe("+60 12 345 6789");
    expect(formatPhone("6591234567")).toBe("+65 9123 4567");
    expect(formatPhone("60123456789", true)).toBe("+60123456789");
  });

  it("reads back what it writes", () => {
    for (const stored of ["6281234567890", "628117123456", "60123456789", "6591234567"])
      for (const compact of [false, true])
        expect(parsePhone(formatPhone(stored, compact))).toMatchObject({ ok: true, phone: stored });
  });
});
