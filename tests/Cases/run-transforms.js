// Runs the page's transforms (plugins/shared/Pluggable.FlamegraphPage/Page/transforms.js) on the shared cases and
// prints, for each case, the resulting folded text (lines sorted) or the error. The C# tests compare this with the
// expected result and with what the C# transforms give. Usage: node run-transforms.js <transforms.js> <cases.json>
"use strict";
const fs = require("fs");
const transforms = require(require("path").resolve(process.argv[2]));
const cases = JSON.parse(fs.readFileSync(process.argv[3], "utf8"));

function parse(folded) {
  const names = [], kinds = [], ids = new Map(), stacks = [];
  for (const line of folded.split("\n")) {
    if (!line.trim()) continue;
    const space = line.lastIndexOf(" ");
    const frames = line.slice(0, space).split(";").map((name) => {
      if (!ids.has(name)) { ids.set(name, names.length); names.push(name); kinds.push(0); }
      return ids.get(name);
    });
    stacks.push({ f: frames, w: Number(line.slice(space + 1)) });
  }
  return { names, kinds, stacks };
}

function write(profile) {
  const merged = new Map();
  for (const s of profile.stacks) {
    const key = Array.from(s.f, (f) => profile.names[f]).join(";");
    merged.set(key, (merged.get(key) || 0) + s.w);
  }
  return Array.from(merged, ([stack, weight]) => `${stack} ${weight}`).sort().join("\n");
}

const results = {};
for (const c of cases) {
  try { results[c.name] = write(transforms.apply(parse(c.input), c.transforms)); }
  catch (e) { results[c.name] = "error: " + e.message; }
}
process.stdout.write(JSON.stringify(results));
