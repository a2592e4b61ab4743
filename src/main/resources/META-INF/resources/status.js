// The status page: a file of its own, so the Content-Security-Policy allows no inline script.
// Everything the API returns is shown through textContent: a record id or an event type is never markup.
"use strict";
const REFRESH_MS = 5000;
const KEY = "tidemark-token";

function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (cls) node.className = cls;
  return node;
}

function table(headers, rows) {
  const t = el("table");
  const head = t.insertRow();
  headers.forEach(h => head.appendChild(el("th", h)));
  rows.forEach(cells => {
    const row = t.insertRow();
    cells.forEach(cell => {
      const td = row.insertCell();
      if (cell instanceof Node) td.appendChild(cell); else td.textContent = cell === null || cell === undefined ? "—" : String(cell);
    });
  });
  return t;
}

function badge(text, cls) {
  return el("span", text, "badge " + (cls || ""));
}

function health(value) {
  const cls = value === "ok" ? "ok" : value === "failing" ? "bad" : "warn";
  return el("span", value, cls);
}

function age(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  if (seconds < 120) return seconds + " s";
  if (seconds < 7200) return Math.round(seconds / 60) + " min";
  return Math.round(seconds / 3600) + " h";
}

async function api(path) {
  const response = await fetch(path, { headers: { "Authorization": "Bearer " + sessionStorage.getItem(KEY) } });
  if (response.status === 401) {
    sessionStorage.removeItem(KEY);
    throw new Error("The API refused the token.");
  }
  if (!response.ok) throw new Error(path + " answered " + response.status);
  return response.json();
}

// Which page of each source's connections is shown: the cursor it starts at ("" for the first).
const connectionPages = {};

async function connectionsOf(source) {
  const cursor = connectionPages[source.source] || "";
  return api(source.connections.href + "?limit=20" + (cursor ? "&cursor=" + encodeURIComponent(cursor) : ""));
}

function renderConnections(box, source, page) {
  const counts = el("p", source.connections.total + " connections: ", "muted");
  ["active", "paused", "needs-reauthorization"].forEach(state => {
    const n = source.connections[state];
    counts.appendChild(badge(n + " " + state, state === "active" ? "ok" : n > 0 ? (state === "paused" ? "warn" : "bad") : ""));
  });
  box.appendChild(counts);
  if (!page || page.connections.length === 0) return;
  const rows = page.connections.map(c => {
    const resources = (c.resources || []).map(r => r.resource + " " + r.health).join(" · ");
    const lags = (c.resources || []).map(r => r.lagSeconds).filter(s => s !== null && s !== undefined);
    return [c.id, el("span", c.state, c.state === "active" ? "ok" : c.state === "paused" ? "warn" : "bad"),
        resources || "webhooks only", lags.length ? age(Math.max(...lags)) : null, c.stateReason];
  });
  const t = table(["connection", "state", "resources", "lag", "reason"], rows);
  t.setAttribute("data-connections", source.source);
  box.appendChild(t);
  const nav = el("p");
  if (connectionPages[source.source]) {
    const first = el("button", "first page");
    first.addEventListener("click", () => { delete connectionPages[source.source]; refresh(); });
    nav.appendChild(first);
  }
  if (page.nextCursor) {
    const next = el("button", "next page");
    next.addEventListener("click", () => { connectionPages[source.source] = page.nextCursor; refresh(); });
    nav.appendChild(next);
  }
  box.appendChild(nav);
}

function renderSources(body, pages) {
  const box = document.getElementById("sources");
  box.replaceChildren();
  if (body.sources.length === 0) {
    box.appendChild(el("p", "No sources are configured.", "muted"));
    return;
  }
  body.sources.forEach(source => {
    const title = el("h3", source.source + " ");
    title.setAttribute("data-source", source.source);
    // A source with connections has no auth state of its own: each connection has its state.
    if (source.auth && source.auth.state) title.appendChild(badge("auth " + source.auth.state, source.auth.state === "ok" ? "ok" : "bad"));
    if (source.circuit) title.appendChild(badge("circuit " + source.circuit, source.circuit === "closed" ? "ok" : "bad"));
    if (source.rateLimit) {
      const limit = source.rateLimit;
      title.appendChild(badge("rate " + limit.perSecond + "/s" + (limit.advertised ? " (provider's)" : "")
          + (limit.pausedUntil ? ", paused until " + limit.pausedUntil : ""), limit.pausedUntil ? "warn" : ""));
    }
    box.appendChild(title);
    const rows = source.resources.map(r => {
      if (!r.polled) return [r.resource, "webhooks only", null, null, null, null];
      if (r.perConnection) return [r.resource, "per connection", null, null, null, r.schedule];
      const run = r.lastRun;
      const position = r.parents
          ? r.parents.completed + " of " + r.parents.withCheckpoint + " " + r.parents.resource + " walked"
          : r.checkpoint ? (r.checkpoint.updatedAt || "start") + (r.checkpoint.id ? " · " + r.checkpoint.id : "") + " (" + r.checkpoint.status + ")" : null;
      const last = run ? run.mode + " " + run.status + ", " + run.records + " records, " + run.calls + " calls"
          + (run.endedAt ? ", ended " + run.endedAt : ", running") + (run.error ? " — " + run.error : "") : "never run";
      return [r.resource, health(r.health), last, position, age(r.lagSeconds), r.schedule];
    });
    box.appendChild(table(["resource", "health", "last run", "checkpoint", "lag", "schedule"], rows));
    if (source.connections) renderConnections(box, source, pages[source.source]);
  });
}

function renderRuns(body) {
  const box = document.getElementById("runs");
  box.replaceChildren();
  if (body.runs.length === 0) {
    box.appendChild(el("p", "No poller runs yet.", "muted"));
    return;
  }
  const rows = body.runs.map(r => [r.startedAt, r.source + (r.connection ? "/" + r.connection : "") + "/" + r.resource,
      r.mode + " (" + r.trigger + ")",
      health(r.status === "completed" || r.status === "running" ? "ok" : r.status === "partial" ? "rate-limited" : "failing"),
      r.status, r.calls, r.pages, r.records, r.retries, r.rateLimitWaits, r.error]);
  const t = table(["started", "resource", "mode", "", "status", "calls", "pages", "records", "retries", "rate-limit waits", "error"], rows);
  t.id = "runs-table";
  box.appendChild(t);
}

function renderDlq(body) {
  const box = document.getElementById("dlq");
  box.replaceChildren();
  const summary = el("p", body.total + " dead-lettered, " + body.pending + " not redriven", body.pending > 0 ? "warn" : "ok");
  summary.id = "dlq-summary";
  box.appendChild(summary);
  const rows = Object.entries(body.bySource).map(([source, count]) => [source || "(no key)", count.total, count.pending]);
  if (rows.length > 0) box.appendChild(table(["source", "dead letters", "not redriven"], rows));
}

function renderEvents(body) {
  const box = document.getElementById("events");
  box.replaceChildren();
  if (body.events.length === 0) {
    box.appendChild(el("p", "No events yet.", "muted"));
    return;
  }
  const rows = body.events.map(e => [e.time, e.type, e.source, e.subject, e.data && e.data.origin]);
  const t = table(["time", "type", "source", "record", "origin"], rows);
  t.id = "events-table";
  box.appendChild(t);
}

async function refresh() {
  const error = document.getElementById("error");
  try {
    const [sources, runs, events, dlq] = await Promise.all([api("/api/sources"), api("/api/runs?limit=10"),
        api("/api/events?limit=20"), api("/api/dlq")]);
    const pages = Object.fromEntries(await Promise.all(sources.sources.filter(s => s.connections)
        .map(s => connectionsOf(s).then(page => [s.source, page]))));
    renderSources(sources, pages);
    renderRuns(runs);
    renderEvents(events);
    renderDlq(dlq);
    error.textContent = "";
    document.getElementById("updated").textContent = "Updated " + new Date().toISOString() + ".";
    document.getElementById("status").hidden = false;
  } catch (e) {
    error.textContent = e.message;
    if (!sessionStorage.getItem(KEY)) showLogin();
  }
}

function showLogin() {
  document.getElementById("status").hidden = true;
  document.getElementById("login").hidden = false;
}

document.getElementById("login").addEventListener("submit", event => {
  event.preventDefault();
  sessionStorage.setItem(KEY, document.getElementById("token").value);
  document.getElementById("login").hidden = true;
  refresh();
});

// A link can carry the token in its fragment (never sent to the server): /#token=…
const fragment = new URLSearchParams(location.hash.slice(1));
if (fragment.get("token")) {
  sessionStorage.setItem(KEY, fragment.get("token"));
  history.replaceState(null, "", location.pathname);
}
// The next refresh is planned when this one has finished: a slow API never piles up requests.
async function loop() {
  if (sessionStorage.getItem(KEY)) await refresh();
  setTimeout(loop, REFRESH_MS);
}
if (!sessionStorage.getItem(KEY)) showLogin();
loop();
