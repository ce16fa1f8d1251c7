// The built-in transforms (plugins/transforms), for the page to apply live: the same specs give the same stacks
// as the C# ones, which tests/Cases/transforms.json checks on both. A profile here is
// { names: [string], kinds: [int], stacks: [{ f: [frame id, root first], w: weight, b: weight before (comparisons only) }] }.
"use strict";
const PluggableTransforms = (() => {
  const STATE_MACHINE = /^(.+?)\+<([^>]+)>d__\d+.*\.MoveNext$/;
  const ASYNC_PLUMBING = /^System\.Runtime\.CompilerServices\.(AsyncTaskMethodBuilder|AsyncValueTaskMethodBuilder|AsyncVoidMethodBuilder|AsyncMethodBuilderCore|PoolingAsyncValueTaskMethodBuilder|AsyncIteratorMethodBuilder)|^System\.Threading\.ExecutionContext\.RunInternal$/;
  const CLOSURE_CLASS = /\+<>c(?:__DisplayClass[\d_]+)?\.</g;
  const LAMBDA = /\.<([^>]+)>b__[\d_]+$/;
  const LOCAL_FUNCTION = /\.<([^>]+)>g__([^|]+)\|[\d_]+$/;
  const THREAD_FRAME = /^\[thread \d+(?: (.*))?\]$/;
  const TRAILING_NUMBER = /[-_ #.]*\d+$/;

  function regex(spec, field, optional) {
    if (spec[field] === undefined && optional) return null;
    if (typeof spec[field] !== "string") throw new Error(spec[field] === undefined ? `"${field}" is required` : `"${field}" must be a string`);
    try { return new RegExp(spec[field]); } catch (e) { throw new Error(`"${field}" is not a valid regular expression: ${e.message}`); }
  }

  function positive(spec, field) {
    const value = spec[field];
    if (!Number.isInteger(value) || value <= 0) throw new Error(value === undefined ? `"${field}" is required` : `"${field}" must be a whole number above zero`);
    return value;
  }

  function stripGenerics(name) {
    if (name.indexOf("`") < 0 && name.indexOf("[") < 0) return name;
    let out = "";
    for (let i = 0; i < name.length; i++) {
      const c = name[i];
      if (c === "`") { while (i + 1 < name.length && name[i + 1] >= "0" && name[i + 1] <= "9") i++; continue; }
      if (c === "[" && i + 1 < name.length && name[i + 1] !== "]") {
        let depth = 0;
        for (; i < name.length; i++) { depth += name[i] === "[" ? 1 : name[i] === "]" ? -1 : 0; if (depth === 0) break; }
        continue;
      }
      out += c;
    }
    return out;
  }

  // Each type compiles to one of: { rename(name) -> name | null }, { keep(matchesAny) } with a frame test, or { rewrite(ids, same) }.
  const TYPES = {
    filter: (s) => ({ test: regex(s, "what"), keepWhenMatched: true }),
    remove: (s) => ({ test: regex(s, "what"), keepWhenMatched: false }),
    replace: (s) => {
      const what = regex(s, "what");
      if (typeof s.replacement !== "string") throw new Error(s.replacement === undefined ? `"replacement" is required` : `"replacement" must be a string`);
      const global = new RegExp(what.source, "g");
      return { rename: (name) => name.replace(global, s.replacement) };
    },
    hide: (s) => { const what = regex(s, "what"); return { rename: (name) => (what.test(name) ? null : name) }; },
    "collapse-recursion": (s) => {
      const what = regex(s, "what", true), matched = [];
      return { rewrite: (frames, nameOf) => frames.filter((f, i) => !(i > 0 && f === frames[i - 1] && (!what || (matched[f] ??= what.test(nameOf(f)))))) };
    },
    truncate: (s) => { const depth = positive(s, "depth"); return { rewrite: (frames) => frames.slice(0, depth) }; },
    last: (s) => { const count = positive(s, "frames"); return { rewrite: (frames) => frames.slice(Math.max(0, frames.length - count)) }; },
    "fold-async": () => ({
      rename: (name) => {
        if (ASYNC_PLUMBING.test(name)) return null;
        const m = STATE_MACHINE.exec(name);
        return m ? `${m[1]}.${m[2]}` : name;
      },
    }),
    "name-lambdas": () => ({
      rename: (name) => {
        if (name.indexOf(">b__") < 0 && name.indexOf(">g__") < 0) return name;
        return name.replace(CLOSURE_CLASS, ".<").replace(LAMBDA, ".$1.lambda").replace(LOCAL_FUNCTION, ".$1.$2");
      },
    }),
    "strip-generics": () => ({ rename: stripGenerics }),
    "group-threads": () => ({
      rename: (name) => {
        const m = THREAD_FRAME.exec(name);
        if (!m) return name;
        const pool = (m[1] || "").replace(TRAILING_NUMBER, "");
        return `[threads ${pool.length === 0 ? "unnamed" : pool}]`;
      },
    }),
  };

  /** Each type's fields, for checking specs and for the page's editor. */
  const FIELDS = {
    filter: ["what"], remove: ["what"], replace: ["what", "replacement"], hide: ["what"], "collapse-recursion": ["what"],
    truncate: ["depth"], last: ["frames"], "fold-async": [], "name-lambdas": [], "strip-generics": [], "group-threads": [],
  };

  /** Builds a transform from its spec; throws an Error saying what is wrong. */
  function compile(spec) {
    const make = TYPES[spec.type];
    if (!make) throw new Error(`unknown transform type '${spec.type}'`);
    for (const key of Object.keys(spec)) {
      if (key !== "type" && key !== "enabled" && !FIELDS[spec.type].includes(key)) throw new Error(`"${key}" is not a field of this transform`);
    }
    return make(spec);
  }

  function step(profile, transform) {
    const names = [], kinds = [], ids = new Map();
    const intern = (name, kind) => {
      const key = kind + "\u0000" + name;
      let id = ids.get(key);
      if (id === undefined) { id = names.length; names.push(name); kinds.push(kind); ids.set(key, id); }
      return id;
    };
    const copy = new Int32Array(profile.names.length).fill(-2);
    const copyOf = (f) => (copy[f] === -2 ? (copy[f] = intern(profile.names[f], profile.kinds[f])) : copy[f]);
    const out = new Map();
    const add = (frames, stack) => {
      if (frames.length === 0) return;
      const key = frames.join(",");
      const known = out.get(key);
      if (!known) out.set(key, { f: frames, w: stack.w, b: stack.b });
      else { known.w += stack.w; if (stack.b !== undefined) known.b = (known.b || 0) + stack.b; }
    };
    if (transform.rename) {
      const renamed = new Int32Array(profile.names.length).fill(-2);
      for (const stack of profile.stacks) {
        const frames = [];
        for (const f of stack.f) {
          if (renamed[f] === -2) {
            const name = transform.rename(profile.names[f]);
            renamed[f] = name === null ? -1 : intern(name, profile.kinds[f]);
          }
          if (renamed[f] >= 0) frames.push(renamed[f]);
        }
        add(frames, stack);
      }
    } else if (transform.test) {
      const matches = new Int8Array(profile.names.length).fill(-1);
      for (const stack of profile.stacks) {
        let any = false;
        for (const f of stack.f) {
          if (matches[f] < 0) matches[f] = transform.test.test(profile.names[f]) ? 1 : 0;
          if (matches[f]) { any = true; break; }
        }
        if (any === transform.keepWhenMatched) add(Array.from(stack.f, copyOf), stack);
      }
    } else {
      for (const stack of profile.stacks) add(transform.rewrite(Array.from(stack.f), (f) => profile.names[f]).map(copyOf), stack);
    }
    return { names, kinds, stacks: Array.from(out.values()) };
  }

  /** Applies the specs in order, skipping those with "enabled": false. A bad spec throws an Error that names its position. */
  function apply(profile, specs) {
    let result = profile;
    specs.forEach((spec, index) => {
      if (spec.enabled === false) return;
      let transform;
      try { transform = compile(spec); } catch (e) { throw new Error(`transforms[${index}] (${spec.type}): ${e.message}`); }
      result = step(result, transform);
    });
    return result;
  }

  return { apply, types: Object.keys(TYPES), fields: FIELDS };
})();
if (typeof module !== "undefined") module.exports = PluggableTransforms;
