// Parse Mermaid diagrams with Mermaid's own parser: each argument is a file of one
// diagram; prints "ok FILE" or "error FILE: message" per file, exits 1 on any error.
import { readFileSync } from "node:fs";
import { JSDOM } from "jsdom";

const dom = new JSDOM("<!DOCTYPE html><body></body>");
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import("mermaid");

let failed = 0;
for (const file of process.argv.slice(2)) {
  try {
    const result = await mermaid.parse(readFileSync(file, "utf8"));
    console.log(`ok ${file} ${result.diagramType}`);
  } catch (error) {
    failed += 1;
    console.log(`error ${file}: ${String(error.message).replace(/\n/g, " ")}`);
  }
}
process.exit(failed ? 1 : 0);
