// The profiler's page. It talks only to the HTTP API, with relative URLs so it also works mounted under a prefix.
// Every value from the server is put into the page as text (textContent), never as markup.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { running: false, stopping: false, targetRunning: true, since: null, timer: null, profiles: [], eventTypes: [], diffBase: null, exports: [], pages: new Set() };

async function api(method, path, body) {
  const init = { method, headers: {} };
  if (method !== "GET") {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body ?? {});
  }
  const response = await fetch(path, init);
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!response.ok) {
    const reason = data && data.error ? data.error : `${response.status} ${response.statusText}`;
    throw new Error(reason);
  }
  return data;
}

function showMessage(text, kind) {
  const box = $("message");
  box.textContent = text;
  box.className = kind === "info" ? "message info" : "message";
  box.hidden = !text;
}

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (key === "text") node.textContent = value;
    else if (key === "className") node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

function formatBytes(bytes) {
  const units = ["B", "KB", "MB", "GB"];
  let value = bytes, unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit++; }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

function formatCount(n) { return Number(n).toLocaleString("en-US"); }

function formatElapsed(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  const two = (x) => String(x).padStart(2, "0");
  return h > 0 ? `${h}:${two(m)}:${two(sec)}` : `${two(m)}:${two(sec)}`;
}

async function loadEventTypes() {
  const types = await api("GET", "api/event-types");
  state.eventTypes = types;
  const select = $("event");
  const previous = select.value;
  select.replaceChildren();
  for (const type of types) {
    const label = type.available ? `${type.name} (${type.unit})` : `${type.name} (unavailable)`;
    const option = el("option", { value: type.name, text: label });
    option.disabled = !type.available;
    option.title = type.available ? type.description : `${type.reason || "unavailable"}${type.fix ? " Fix: " + type.fix : ""}`;
    select.append(option);
  }
  const available = types.filter((t) => t.available);
  const preferred = available.find((t) => t.name === previous) || available.find((t) => t.default) || available[0];
  if (preferred) select.value = preferred.name;
  describeSelected();
}

function describeSelected() {
  const type = state.eventTypes.find((t) => t.name === $("event").value);
  const unavailable = state.eventTypes.filter((t) => !t.available);
  const lines = [];
  if (type) lines.push(`${type.name}: ${type.description} (from ${type.plugin})`);
  for (const t of unavailable) lines.push(`${t.name} is unavailable: ${t.reason || ""}${t.fix ? " Fix: " + t.fix : ""}`);
  if (state.eventTypes.length === 0) lines.push("No event types are loaded: see Plugins below.");
  const hint = $("event-hint");
  hint.replaceChildren(...lines.map((line) => el("span", { text: line, className: "hint-line" }, el("br"))));
}

function renderStatus(status) {
  state.running = status.state === "running";
  state.stopping = status.state === "stopping";
  const toggle = $("toggle");
  toggle.textContent = state.running ? "Stop profiling" : "Start profiler";
  toggle.setAttribute("aria-pressed", String(state.running));
  $("event").disabled = state.running;
  if (state.running) {
    state.since = Date.parse(status.since);
    if (status.event) $("event").value = status.event;
    if (!state.timer) state.timer = setInterval(tick, 500);
    tick();
  } else {
    clearInterval(state.timer);
    state.timer = null;
    $("elapsed").textContent = state.stopping ? "Stopping and storing the profile…" : "";
  }
  const t = status.target;
  $("target").textContent = `Target: ${t.name} (pid ${t.pid}${t.runtimeVersion ? ", .NET " + t.runtimeVersion : ""})${t.isSelf ? ", this process" : ""}`
    + (status.targetRunning ? "" : " — has exited: pick a running process below");
  $("target").classList.toggle("gone", !status.targetRunning);
  // A sidecar picks its target among the .NET processes it can reach, while idle; the embedded host profiles itself.
  // The list is fetched again when the target goes, so that it offers what runs now.
  const showPicker = !t.isSelf;
  const targetJustExited = state.targetRunning && !status.targetRunning;
  if (showPicker && ($("picker").hidden || targetJustExited)) loadProcesses().catch(() => {});
  state.targetRunning = status.targetRunning;
  state.targetPid = t.pid;
  $("picker").hidden = !showPicker;
  enableSwitchTarget();
}

// Switching needs a process to switch to: with none listed, the button would send pid 0.
function enableSwitchTarget() {
  $("switch-target").disabled = state.running || state.stopping || !$("process").value;
}

function tick() {
  if (state.running && state.since) {
    $("elapsed").textContent = `Running ${$("event").value} for ${formatElapsed(Date.now() - state.since)}`;
  }
}

async function refreshStatus() {
  const wasBusy = state.running || state.stopping;
  const status = await api("GET", "api/profiler");
  renderStatus(status);
  if (wasBusy && status.state === "idle") {
    await refreshProfiles();
    const last = status.lastStop;
    if (last && last.stoppedBy !== "request") showMessage(`The session stopped by itself (${last.stoppedBy}); profile ${last.id} keeps what was collected.`, "info");
  }
}

async function toggle() {
  // Not disabled while busy: a disabled button loses the keyboard focus.
  const button = $("toggle");
  if (button.getAttribute("aria-busy") === "true") return;
  button.setAttribute("aria-busy", "true");
  showMessage("");
  try {
    if (!state.running) {
      renderStatus(await api("POST", "api/profiler/start", { event: $("event").value }));
    } else {
      // Opened now, while the click still counts as a user gesture, so that popup blockers let the flamegraph through.
      const page = window.open("", "_blank");
      let result;
      try {
        result = await api("POST", "api/profiler/stop", {});
      } catch (error) {
        if (page) page.close();
        throw error;
      }
      const rendered = result.files.find((f) => f.kind !== "raw") || result.files[0];
      if (page) page.location.href = `profiles/${encodeURIComponent(rendered.name)}`;
      if (result.warnings.length) showMessage(result.warnings.join(" "));
      else if (result.partial) showMessage(`Profile ${result.id} is partial: the session ended early.`, "info");
      await refreshStatus(); // it lists the new files: the page was busy and the host is idle now
    }
  } catch (error) {
    showMessage(error.message);
    await refreshStatus().catch(() => {});
  } finally {
    button.setAttribute("aria-busy", "false");
  }
}

async function refreshProfiles() {
  state.profiles = await api("GET", "api/profiles");
  renderProfiles();
}

function renderProfiles() {
  const showRaw = $("show-raw").checked;
  const container = $("profiles");
  const files = state.profiles.filter((f) => showRaw || f.kind !== "raw");
  $("empty").hidden = state.profiles.length > 0;
  const days = new Map();
  for (const file of files) {
    const created = new Date(file.created);
    const day = created.toLocaleDateString(undefined, { weekday: "short", year: "numeric", month: "short", day: "numeric" });
    if (!days.has(day)) days.set(day, []);
    days.get(day).push(file);
  }
  const sections = [];
  for (const [day, dayFiles] of days) {
    const list = el("ul", { className: "day" });
    for (const file of dayFiles) list.append(profileItem(file));
    sections.push(el("h3", { text: day }), list);
  }
  container.replaceChildren(...sections);
}

function profileItem(file) {
  const time = new Date(file.created).toLocaleTimeString();
  const id = file.other ? `#${file.id} → #${file.other}` : `#${file.id}`;
  const link = el("a", { href: `profiles/${encodeURIComponent(file.name)}`, target: "_blank", rel: "noopener", text: file.name });
  const unitOfSamples = file.samples === 1 ? "sample" : "samples";
  const item = el("li", { className: file.kind === "raw" ? "raw" : "" },
    el("span", { className: "id", text: id }),
    el("span", { className: "event", text: file.event }),
    link,
    el("span", { className: "meta", text: `${formatCount(file.samples)} ${unitOfSamples} · ${formatBytes(file.bytes)} · ${time}` }));
  if (file.kind === "raw") item.append(el("span", { className: "badge", text: "TXT" }));
  if (file.lowConfidence && !file.other) item.append(el("span", { className: "badge warn", text: "low confidence", title: file.lowConfidence }));
  if (!file.other && state.pages.has(file.kind)) item.append(el("span", { className: "actions" }, ...profileActions(file)));
  return item;
}

function button(text, label, action) {
  const b = el("button", { type: "button", text, "aria-label": label });
  b.addEventListener("click", action);
  return b;
}

function profileActions(file) {
  const actions = [];
  if (state.diffBase === null) {
    actions.push(button("Diff…", `Compare profile ${file.id} with another`, () => { state.diffBase = file.id; renderProfiles(); showMessage(`Pick the profile to compare #${file.id} with ("…with this").`, "info"); }));
  } else if (state.diffBase === file.id) {
    actions.push(button("Cancel diff", "Cancel the comparison", () => { state.diffBase = null; showMessage(""); renderProfiles(); }));
  } else {
    actions.push(button("…with this", `Compare profile ${state.diffBase} (before) with profile ${file.id} (after)`, () => diff(state.diffBase, file.id)));
  }
  if (state.exports.length) {
    const select = el("select", { "aria-label": `Export profile ${file.id}` }, el("option", { value: "", text: "Export…" }));
    for (const renderer of state.exports) select.append(el("option", { value: renderer.name, text: renderer.name, title: `.${renderer.fileExtension}: ${renderer.description}` }));
    select.addEventListener("change", () => { if (select.value) exportProfile(file.id, select.value); select.value = ""; });
    actions.push(select);
  }
  actions.push(button("Delete", `Delete profile ${file.id}`, () => deleteProfile(file.id)));
  return actions;
}

async function exportProfile(id, renderer) {
  try {
    const file = await api("POST", "api/render", { id, renderer });
    await refreshProfiles();
    const link = el("a", { href: `profiles/${encodeURIComponent(file.name)}`, download: file.name });
    document.body.append(link);
    link.click();
    link.remove();
    showMessage(`Exported profile #${id} as ${file.name}.`, "info");
  } catch (error) { showMessage(error.message); }
}

async function loadRenderers() {
  const renderers = await api("GET", "api/renderers");
  state.exports = renderers.filter((r) => r.role === "export");
  state.pages = new Set(renderers.filter((r) => r.role === "page").map((r) => r.name));
  renderProfiles();
}

async function diff(before, after) {
  const page = window.open("", "_blank");
  try {
    const file = await api("POST", "api/diffgraph", { before, after });
    if (page) page.location.href = `profiles/${encodeURIComponent(file.name)}`;
    showMessage("");
  } catch (error) {
    if (page) page.close();
    showMessage(error.message);
  }
  state.diffBase = null;
  await refreshProfiles();
}

async function deleteProfile(id) {
  if (!confirm(`Delete profile #${id} and its files?`)) return;
  try {
    await api("DELETE", `api/profiles/${id}`);
    await refreshProfiles();
  } catch (error) { showMessage(error.message); }
}

async function deleteAll() {
  if (!confirm("Delete all profiling results? This cannot be undone.")) return;
  try {
    await api("DELETE", "api/profiles");
    showMessage("");
    await refreshProfiles();
  } catch (error) { showMessage(error.message); }
}

async function loadOptions() {
  $("options").textContent = JSON.stringify(await api("GET", "api/options"), null, 2);
}

async function loadPlugins() {
  const plugins = await api("GET", "api/plugins");
  const failed = plugins.filter((p) => p.status !== "loaded");
  $("plugins-failed").textContent = failed.length ? `(${failed.length} failed)` : "";
  if (failed.length) $("plugins-panel").open = true;
  $("plugins").replaceChildren(...plugins.map((p) => {
    const offers = [...p.eventTypes, ...p.renderers, ...p.transforms].join(", ");
    const text = p.status === "loaded"
      ? `${p.name} ${p.version}: ${p.kinds.join(", ")}${offers ? " (" + offers + ")" : ""}`
      : `${p.name}: failed: ${p.error}`;
    return el("li", { className: p.status === "loaded" ? "" : "failed", text });
  }));
}

async function loadSetup() {
  const samplers = await api("GET", "api/doctor");
  // Each sampler's own checks under its plugin's name: the host only lists what the samplers report.
  $("setup").replaceChildren(...samplers.flatMap((sampler) => [
    el("li", { className: "sampler", text: sampler.plugin }),
    ...sampler.checks.map((c) => el("li", {},
      el("span", { className: `status ${c.status}`, text: c.status }),
      el("span", { text: `${c.name}: ${c.detail}` }),
      el("span", { className: "why", text: c.why }),
      c.fix ? el("span", { className: "fix", text: `fix: ${c.fix}` }) : null)),
  ]));
  const failing = samplers.some((sampler) => sampler.checks.some((c) => c.status === "fail"));
  $("setup-panel").querySelector("summary").textContent = failing ? "Setup (something to fix)" : "Setup";
}

async function loadProcesses() {
  const processes = await api("GET", "api/processes");
  const select = $("process");
  select.replaceChildren(...processes.map((p) => el("option", { value: String(p.pid), text: `${p.pid} ${p.name}${p.runtimeVersion ? " (.NET " + p.runtimeVersion + ")" : ""}: ${p.commandLine}`.slice(0, 160) })));
  if (processes.some((p) => p.pid === state.targetPid)) select.value = String(state.targetPid);
  enableSwitchTarget();
}

async function switchTarget() {
  try {
    renderStatus(await api("POST", "api/target", { pid: Number($("process").value) }));
    showMessage("");
    await Promise.all([loadEventTypes(), loadSetup()]);
  } catch (error) { showMessage(error.message); }
}

async function start() {
  $("toggle").addEventListener("click", toggle);
  $("event").addEventListener("change", describeSelected);
  $("show-raw").addEventListener("change", renderProfiles);
  $("delete-all").addEventListener("click", deleteAll);
  $("switch-target").addEventListener("click", switchTarget);
  $("refresh-processes").addEventListener("click", () => loadProcesses().catch((error) => showMessage(error.message)));
  $("setup-panel").addEventListener("toggle", () => { if ($("setup-panel").open) loadSetup().catch((error) => showMessage(error.message)); });
  const loads = [loadEventTypes(), refreshStatus(), refreshProfiles(), loadOptions(), loadPlugins(), loadRenderers()];
  const failures = (await Promise.allSettled(loads)).filter((r) => r.status === "rejected");
  if (failures.length) showMessage(`Could not load the page's data: ${failures.map((f) => f.reason.message).join("; ")}`);
  // Sessions can also be started and stopped from the API, from code, or by a time limit.
  setInterval(() => refreshStatus().catch((error) => showMessage(error.message)), 2000);
}

start();
