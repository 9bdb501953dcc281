// Rafty's live dashboard. Plain browser JavaScript, no build step, no library: it polls the members' JSON API
// (GET /v1/status, /v1/cluster, /v1/raft/log, /v1/leases, /v1/kv) and Prometheus text (GET /metrics), and
// draws its two charts on <canvas>. docs/DASHBOARD.md says where every figure comes from.
//
// Auth: on a cluster with auth on, the first 401 brings up a sign-in form; the token it gets (POST /v1/auth/token)
// is kept in sessionStorage only — per tab, gone when the tab closes, never in localStorage, the URL or the
// console — and sent as "Authorization: Bearer" on every call to a member (never to the chaos feed, which is not
// one). A 403 is shown in the panel it concerns as "not permitted for <user>".
//
// Bounds: every poll has an in-flight flag and is skipped while the previous one of its kind to the same member
// has not finished (so at most one request of each kind per member is ever open), every request has a
// timeout, and every history (chart points, markers, leader changes, chaos events) is a capped array.
(function () {
  "use strict";

  const params = new URLSearchParams(location.search);
  const INTERVAL_MS = clamp(intParam("interval", 1000), 250, 60000);
  const WINDOW_MS = clamp(intParam("window", 5), 1, 60) * 60000;
  const REQUEST_TIMEOUT_MS = Math.min(Math.max(2 * INTERVAL_MS, 1500), 10000);
  const MAX_POINTS = Math.ceil(WINDOW_MS / INTERVAL_MS) + 2;
  const MAX_MARKERS = 200;
  const MAX_LEADER_CHANGES = 100;
  const MAX_CHAOS_EVENTS = 500;
  const LOG_LIMIT = 20;
  const LEASES_EVERY_TICKS = 5;
  const LEASES_SHOWN = 20;
  const KEYS_PAGE = 25;
  const VALUE_PREVIEW_CHARS = 80;
  const CHAOS_PORT = params.get("chaos");
  const LOGIN_TIMEOUT_MS = 15000; // a login may wait for bcrypt and, after failures, the server's throttle (≤ 5 s)
  const MAX_WRITE_REFUSALS = 100;
  const TOKEN_KEY = "rafty.token";
  const USER_KEY = "rafty.user";

  // ----- state ---------------------------------------------------------------------------------------

  /** id -> {id, address, status, error, lastOk, inFlight, metricsInFlight, metricsError, counters, delta} */
  const members = new Map();
  let seedInFlight = false;
  let selectedId = null;
  let leader = null; // {id, term} as last seen
  let cluster = null; // the leader's GET /v1/cluster, with .at
  let clusterInFlight = false;
  let log = null;
  let logInFlight = false;
  let leases = null;
  let leasesInFlight = false;
  let ticks = 0;
  const points = []; // {t, writeRate, readRate, writeP50, writeP99, readP50, readP99}
  const markers = []; // {t, label, color}
  const leaderChanges = []; // {t, id, term}
  const chaos = {events: [], after: 0, inFlight: false, running: null, error: null};
  const keyList = {prefix: "", after: null, revision: null, items: [], more: false, inFlight: false, generation: 0};
  let clusterError = null; // why the leader's cluster view is missing, when it was refused
  /** needed: a member answered 401 (auth is on); loginInFlight: a sign-in is being checked. */
  const session = {needed: false, loginInFlight: false};
  /** key -> why a put or delete of it was refused (403) for the signed-in user; both buttons are off for it. */
  const writeRefusals = new Map();

  // ----- helpers -------------------------------------------------------------------------------------

  function intParam(name, fallback) {
    const value = parseInt(params.get(name), 10);
    return Number.isFinite(value) ? value : fallback;
  }

  function clamp(value, min, max) {
    return Math.min(max, Math.max(min, value));
  }

  function $(id) {
    return document.getElementById(id);
  }

  function cell(row, text, className) {
    const td = document.createElement("td");
    td.textContent = text === null || text === undefined ? "–" : String(text);
    if (className) {
      td.className = className;
    }
    row.appendChild(td);
    return td;
  }

  function pushCapped(array, item, cap) {
    array.push(item);
    while (array.length > cap) {
      array.shift();
    }
  }

  function clock(t) {
    return new Date(t).toLocaleTimeString([], {hour12: false});
  }

  function ago(t) {
    if (!t) {
      return "never";
    }
    const s = (Date.now() - t) / 1000;
    return s < 1 ? "just now" : s < 120 ? s.toFixed(0) + " s ago" : (s / 60).toFixed(0) + " min ago";
  }

  /** The origin of a base URL with the loopback names folded together, to compare a member with this page. */
  function sameOrigin(address) {
    try {
      const a = new URL(address);
      const fold = h => (h === "localhost" || h === "127.0.0.1" || h === "[::1]") ? "loopback" : h;
      return a.protocol === location.protocol && a.port === location.port && fold(a.hostname) === fold(location.hostname);
    } catch (e) {
      return false;
    }
  }

  /**
   * fetch with a timeout, and with this tab's token unless {@code how.anonymous}; resolves to {response, token}
   * (the token sent, or null), rejects with an Error whose message says why.
   */
  async function request(url, options, how) {
    const anonymous = how && how.anonymous === true;
    const timeoutMs = how && how.timeoutMs ? how.timeoutMs : REQUEST_TIMEOUT_MS;
    const token = anonymous ? null : storedToken();
    const init = Object.assign({cache: "no-store"}, options || {});
    if (token) {
      init.headers = Object.assign({}, init.headers || {}, {"authorization": "Bearer " + token});
    }
    const controller = new AbortController();
    init.signal = controller.signal;
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      return {response: await fetch(url, init), token: token};
    } catch (e) {
      throw new Error(e.name === "AbortError" ? "no answer within " + timeoutMs + " ms" : "no connection");
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * The Error for a refused call, with .status: 401 signs the page out (or asks to sign in), 403 names the user,
   * anything else its status and error code. Only the server's message is shown, never a token. A 401 from
   * something other than a member (an {@code anonymous} call: the chaos feed) says nothing about the session.
   */
  function refusal(status, body, token, anonymous) {
    const message = body && typeof body.message === "string" ? body.message : "";
    let error;
    if (status === 401 && !anonymous) {
      unauthenticated(token, message);
      error = new Error(token ? "signed out: " + (message || "the token was refused") : "sign in to see this");
    } else if (status === 403) {
      error = new Error("not permitted for " + (signedInUser() || "this user") + (message ? " (" + message + ")" : ""));
    } else {
      error = new Error("HTTP " + status + (body && body.error ? " " + body.error : "") + (message ? ": " + message : ""));
    }
    error.status = status;
    return error;
  }

  async function getJson(url, how) {
    const {response, token} = await request(url, undefined, how);
    const body = await response.json().catch(() => null);
    if (!response.ok) {
      throw refusal(response.status, body, token, how && how.anonymous === true);
    }
    return body;
  }

  // ----- signing in ------------------------------------------------------------------------------------------

  function storedToken() {
    try {
      return sessionStorage.getItem(TOKEN_KEY);
    } catch (e) {
      return null; // storage disabled: the page cannot hold a token, and says so at sign-in
    }
  }

  function signedInUser() {
    try {
      return storedToken() ? sessionStorage.getItem(USER_KEY) : null;
    } catch (e) {
      return null;
    }
  }

  /** True while auth is on and this tab holds no token: the closed routes are not polled (each would be 401). */
  function waitingForSignIn() {
    return session.needed && !storedToken();
  }

  /** A member answered 401 to a call that carried {@code sentToken} (null: none), saying {@code message}. */
  function unauthenticated(sentToken, message) {
    session.needed = true;
    if (sentToken) {
      if (storedToken() !== sentToken) {
        return; // the answer to a token this tab no longer holds: signed out already, or signed in again since
      }
      forgetSession();
      showSignIn("Signed out: " + (message || "the token was refused") + ". Sign in again.");
    } else if (!storedToken() && $("signin-form").hidden) {
      showSignIn("This cluster has auth on: sign in to see more than the members' status.");
    }
  }

  function showSignIn(reason) {
    $("signin-reason").textContent = reason;
    $("signin-form").hidden = false;
    $("session").hidden = true;
    scheduleRender();
  }

  /** Drops the token and everything read with it (keys, values, the log), so nothing stays on screen unauthorised. */
  function forgetSession() {
    try {
      sessionStorage.removeItem(TOKEN_KEY);
      sessionStorage.removeItem(USER_KEY);
    } catch (e) {
      // nothing stored
    }
    writeRefusals.clear();
    cluster = null;
    clusterError = null;
    log = {from: null, error: "sign in to see the log", entries: []};
    leases = {error: "sign in to see the leases", leases: []};
    keyList.items = [];
    keyList.more = false;
    keyList.generation++;
    $("list-state").textContent = "";
    $("value-view").textContent = "";
    setEditState("");
    updateWriteButtons();
    $("session").hidden = true;
    $("session-user").textContent = "";
  }

  function setSignInState(text) {
    $("signin-state").textContent = text;
  }

  /** The members to try a login at: this page's node first, then every other member the page knows. */
  function loginAddresses() {
    const all = [location.origin];
    for (const m of members.values()) {
      if (m.address && !all.includes(m.address)) {
        all.push(m.address);
      }
    }
    return all;
  }

  async function signIn() {
    const user = $("signin-user").value;
    const passwordField = $("signin-password");
    if (session.loginInFlight) {
      return;
    }
    if (!user || !passwordField.value) {
      setSignInState("give a user name and a password");
      return;
    }
    session.loginInFlight = true;
    $("signin-button").disabled = true;
    setSignInState("signing in…");
    const body = JSON.stringify({user: user, password: passwordField.value});
    try {
      let answer = null;
      let lastError = null;
      for (const address of loginAddresses()) {
        try {
          answer = await request(address + "/v1/auth/token",
              {method: "POST", body: body, headers: {"content-type": "application/json"}},
              {anonymous: true, timeoutMs: LOGIN_TIMEOUT_MS});
          break;
        } catch (e) {
          lastError = e; // that member is down: try the next one
        }
      }
      if (answer === null) {
        throw lastError || new Error("no member reachable");
      }
      const response = answer.response;
      const reply = await response.json().catch(() => null);
      if (!response.ok || !reply || typeof reply.token !== "string") {
        passwordField.value = "";
        setSignInState("sign-in failed: " + (reply && reply.message ? reply.message : "HTTP " + response.status));
        return;
      }
      try {
        sessionStorage.setItem(TOKEN_KEY, reply.token);
        sessionStorage.setItem(USER_KEY, user);
      } catch (e) {
        setSignInState("sign-in failed: this browser does not let the page keep the token (session storage is off)");
        return;
      }
      passwordField.value = "";
      setSignInState("");
      writeRefusals.clear();
      updateWriteButtons();
      $("signin-form").hidden = true;
      showSession();
      tick();
    } catch (e) {
      setSignInState("sign-in failed: " + e.message);
    } finally {
      session.loginInFlight = false;
      $("signin-button").disabled = false;
    }
  }

  function showSession() {
    const user = signedInUser();
    $("session").hidden = !user;
    $("session-user").textContent = user ? "signed in as " + user : "";
  }

  function signOut() {
    forgetSession();
    session.needed = true;
    showSignIn("Signed out.");
  }

  // ----- membership and status -----------------------------------------------------------------------

  function member(id, address) {
    let m = members.get(id);
    if (!m) {
      m = {id: id, address: "", status: null, error: null, lastOk: 0, inFlight: false, metricsInFlight: false,
        metricsError: null, counters: null, delta: null};
      members.set(id, m);
    }
    if (address) {
      m.address = sameOrigin(address) ? location.origin : address.replace(/\/+$/, "");
    }
    return m;
  }

  function learnMembers(status) {
    for (const listed of status.members || []) {
      member(listed.id, listed.address);
    }
    if (status.role === "leader") {
      // The leader's configuration is the cluster's: a member it no longer lists was removed.
      const listed = new Set((status.members || []).map(x => x.id));
      for (const id of [...members.keys()]) {
        if (!listed.has(id)) {
          members.delete(id);
        }
      }
    }
  }

  function reachable(m) {
    return m.status !== null && m.error === null;
  }

  async function seed() {
    if (seedInFlight) {
      return;
    }
    seedInFlight = true;
    try {
      const status = await getJson(location.origin + "/v1/status");
      member(status.id, location.origin);
      learnMembers(status);
    } catch (e) {
      showBanner("this page's node (" + location.origin + ") does not answer: " + e.message);
    } finally {
      seedInFlight = false;
    }
  }

  async function pollStatus(m) {
    if (m.inFlight || !m.address) {
      return;
    }
    m.inFlight = true;
    try {
      const status = await getJson(m.address + "/v1/status");
      m.status = status;
      m.error = null;
      m.lastOk = Date.now();
      learnMembers(status);
    } catch (e) {
      m.error = e.message;
    } finally {
      m.inFlight = false;
      noticeLeader();
      scheduleRender();
    }
  }

  /** The reachable member that says it leads in the highest term, or null. */
  function currentLeader() {
    let best = null;
    for (const m of members.values()) {
      if (reachable(m) && m.status.role === "leader" && (best === null || m.status.term > best.status.term)) {
        best = m;
      }
    }
    return best;
  }

  function noticeLeader() {
    for (const m of members.values()) {
      if (m.address && m.status === null && m.error === null) {
        return; // not every member has answered or failed once yet: too early to say who leads
      }
    }
    const now = currentLeader();
    const id = now ? now.id : 0;
    const term = now ? now.status.term : null;
    if (leader === null || leader.id !== id || (id !== 0 && leader.term !== term)) {
      const t = Date.now();
      pushCapped(leaderChanges, {t: t, id: id, term: term}, MAX_LEADER_CHANGES);
      if (leader !== null) {
        addMarker(t, id ? "leader " + id : "no leader", "#1a7f37");
      }
      leader = {id: id, term: term};
      cluster = null;
    }
  }

  async function pollCluster() {
    const l = currentLeader();
    if (clusterInFlight || !l || waitingForSignIn()) {
      return;
    }
    clusterInFlight = true;
    try {
      const view = await getJson(l.address + "/v1/cluster");
      view.at = Date.now();
      cluster = view;
      clusterError = null;
    } catch (e) {
      cluster = null;
      // A refusal is shown by the Members table; a leader that does not answer is the banner's to report.
      clusterError = e.status ? e.message : null;
    } finally {
      clusterInFlight = false;
      scheduleRender();
    }
  }

  /** The member the page reads the log, leases and keys from: the one clicked, else the leader, else any. */
  function source() {
    const chosen = selectedId !== null ? members.get(selectedId) : null;
    if (chosen && reachable(chosen)) {
      return chosen;
    }
    const l = currentLeader();
    if (l) {
      return l;
    }
    for (const m of members.values()) {
      if (reachable(m)) {
        return m;
      }
    }
    return null;
  }

  async function pollLog() {
    const from = source();
    if (logInFlight || !from || waitingForSignIn()) {
      return;
    }
    logInFlight = true;
    try {
      log = await getJson(from.address + "/v1/raft/log?limit=" + LOG_LIMIT);
      log.from = from.id;
    } catch (e) {
      log = {from: from.id, error: e.message, entries: []};
    } finally {
      logInFlight = false;
      scheduleRender();
    }
  }

  async function pollLeases() {
    const from = source();
    if (leasesInFlight || !from || waitingForSignIn()) {
      return;
    }
    leasesInFlight = true;
    try {
      leases = await getJson(from.address + "/v1/leases?consistency=stale");
    } catch (e) {
      leases = {error: e.message, leases: []};
    } finally {
      leasesInFlight = false;
      scheduleRender();
    }
  }

  // ----- metrics ---------------------------------------------------------------------------------------

  /** Which of the two request classes an HTTP server series is, or null. */
  function requestClass(labels) {
    const route = labels.route;
    const method = labels.method;
    if ((route === "/v1/kv/" && (method === "PUT" || method === "DELETE")) || (route === "/v1/txn" && method === "POST")) {
      return "write";
    }
    if ((route === "/v1/kv/" || route === "/v1/kv") && method === "GET") {
      return "read";
    }
    return null;
  }

  /** Cumulative counters of one scrape: {write: {count, buckets: Map(le -> n)}, read: {...}}. */
  function parseMetrics(text) {
    const result = {write: {count: 0, buckets: new Map()}, read: {count: 0, buckets: new Map()}};
    const prefix = "vertx_http_server_response_time_seconds_";
    for (const line of text.split("\n")) {
      if (!line.startsWith(prefix)) {
        continue;
      }
      const open = line.indexOf("{");
      const close = line.lastIndexOf("}");
      if (open < 0 || close < open) {
        continue;
      }
      const suffix = line.substring(prefix.length, open);
      if (suffix !== "bucket" && suffix !== "count") {
        continue;
      }
      const labels = {};
      const labelPattern = /(\w+)="((?:[^"\\]|\\.)*)"/g;
      let match;
      const labelText = line.substring(open + 1, close);
      while ((match = labelPattern.exec(labelText)) !== null) {
        labels[match[1]] = match[2];
      }
      const kind = requestClass(labels);
      const value = parseFloat(line.substring(close + 1).trim().split(/\s+/)[0]);
      if (kind === null || !Number.isFinite(value)) {
        continue;
      }
      const target = result[kind];
      if (suffix === "count") {
        target.count += value;
      } else {
        const le = labels.le === "+Inf" ? Infinity : parseFloat(labels.le);
        target.buckets.set(le, (target.buckets.get(le) || 0) + value);
      }
    }
    return result;
  }

  function subtract(now, before) {
    const buckets = new Map();
    for (const [le, n] of now.buckets) {
      buckets.set(le, n - (before.buckets.get(le) || 0));
    }
    return {count: now.count - before.count, buckets: buckets};
  }

  async function pollMetrics(m) {
    if (m.metricsInFlight || !m.address || !reachable(m) || (m.metricsError !== null && waitingForSignIn())) {
      return;
    }
    m.metricsInFlight = true;
    try {
      const {response, token} = await request(m.address + "/metrics");
      if (!response.ok) {
        throw refusal(response.status, await response.json().catch(() => null), token);
      }
      m.metricsError = null;
      const counters = parseMetrics(await response.text());
      const t = Date.now();
      if (m.counters !== null) {
        const write = subtract(counters.write, m.counters.write);
        const read = subtract(counters.read, m.counters.read);
        // A counter that went down is a restarted node: that interval says nothing.
        if (write.count >= 0 && read.count >= 0) {
          m.delta = {t: t, seconds: (t - m.counters.t) / 1000, write: write, read: read};
        }
      }
      counters.t = t;
      m.counters = counters;
    } catch (e) {
      m.counters = null;
      m.metricsError = e.status ? e.message : null; // metrics closed (authMetricsOpen=false) and refused
    } finally {
      m.metricsInFlight = false;
    }
  }

  /** The q-quantile of bucket counts (cumulative, by upper bound in seconds), interpolated as Prometheus does; ms. */
  function quantile(q, merged) {
    const bounds = [...merged.buckets.keys()].sort((a, b) => a - b);
    const total = merged.buckets.get(Infinity) || 0;
    if (total <= 0) {
      return null;
    }
    const rank = q * total;
    let lower = 0;
    let below = 0;
    for (const le of bounds) {
      const n = merged.buckets.get(le);
      if (n >= rank) {
        if (le === Infinity) {
          return lower * 1000;
        }
        const inBucket = n - below;
        return (lower + (le - lower) * (inBucket > 0 ? (rank - below) / inBucket : 0)) * 1000;
      }
      lower = le;
      below = n;
    }
    return lower * 1000;
  }

  /** One chart point from every member's latest unused metrics delta. */
  function takePoint() {
    const t = Date.now();
    const merged = {write: {count: 0, buckets: new Map()}, read: {count: 0, buckets: new Map()}};
    let writeRate = 0;
    let readRate = 0;
    let any = false;
    for (const m of members.values()) {
      const d = m.delta;
      if (d === null || d.seconds <= 0 || t - d.t > 3 * INTERVAL_MS) {
        continue;
      }
      any = true;
      m.delta = null;
      writeRate += d.write.count / d.seconds;
      readRate += d.read.count / d.seconds;
      for (const kind of ["write", "read"]) {
        merged[kind].count += d[kind].count;
        for (const [le, n] of d[kind].buckets) {
          merged[kind].buckets.set(le, (merged[kind].buckets.get(le) || 0) + n);
        }
      }
    }
    if (!any) {
      return;
    }
    pushCapped(points, {
      t: t, writeRate: writeRate, readRate: readRate,
      writeP50: quantile(0.5, merged.write), writeP99: quantile(0.99, merged.write),
      readP50: quantile(0.5, merged.read), readP99: quantile(0.99, merged.read)
    }, MAX_POINTS);
  }

  function addMarker(t, label, color) {
    pushCapped(markers, {t: t, label: label, color: color}, MAX_MARKERS);
  }

  // ----- chaos feed ---------------------------------------------------------------------------------------

  const CHAOS_COLORS = {kill: "#b42318", pause: "#b42318", partition: "#b42318", slow: "#9a6700",
    restart: "#6b7075", resume: "#6b7075", heal: "#6b7075", unslow: "#6b7075", verdict: "#1d1f21"};

  async function pollChaos() {
    if (CHAOS_PORT === null || chaos.inFlight) {
      return;
    }
    chaos.inFlight = true;
    const url = location.protocol + "//" + location.hostname + ":" + encodeURIComponent(CHAOS_PORT)
        + "/chaos/events?after=" + chaos.after;
    try {
      const body = await getJson(url, {anonymous: true}); // the chaos feed is no member: it never gets the token
      chaos.error = null;
      chaos.running = body.running === true;
      for (const event of body.events || []) {
        if (typeof event.seq !== "number" || event.seq <= chaos.after) {
          continue;
        }
        chaos.after = event.seq;
        const parsed = Date.parse(event.time);
        event.t = Number.isFinite(parsed) ? parsed : Date.now();
        pushCapped(chaos.events, event, MAX_CHAOS_EVENTS);
        addMarker(event.t, event.kind + " " + (event.target || ""), CHAOS_COLORS[event.kind] || "#9a6700");
      }
    } catch (e) {
      chaos.error = e.message;
    } finally {
      chaos.inFlight = false;
      scheduleRender();
    }
  }

  // ----- the tick -------------------------------------------------------------------------------------------

  function tick() {
    ticks++;
    takePoint();
    if (members.size === 0) {
      seed();
    }
    for (const m of members.values()) {
      pollStatus(m);
      pollMetrics(m);
    }
    pollCluster();
    pollLog();
    if (ticks % LEASES_EVERY_TICKS === 1) {
      pollLeases();
    }
    pollChaos();
    scheduleRender();
  }

  // ----- rendering ------------------------------------------------------------------------------------------

  let renderPending = false;

  function scheduleRender() {
    if (!renderPending) {
      renderPending = true;
      requestAnimationFrame(() => {
        renderPending = false;
        render();
      });
    }
  }

  function showBanner(text) {
    const banner = $("banner");
    banner.hidden = !text;
    banner.textContent = text || "";
  }

  function render() {
    const l = currentLeader();
    const from = source();
    const down = [...members.values()].filter(m => !reachable(m));
    $("summary").textContent = members.size === 0 ? "connecting to " + location.origin + "…"
        : (l ? "leader: node " + l.id + " · term " + l.status.term : "no leader known")
        + " · " + (members.size - down.length) + " of " + members.size + " members reachable"
        + (from ? " · reading from node " + from.id : "");
    if (down.length > 0) {
      showBanner(down.map(m => "node " + m.id + " is unreachable (" + (m.error || "not polled yet") + ", last contact "
          + ago(m.lastOk) + ")").join(" · "));
    } else if (members.size > 0) {
      showBanner("");
    }
    $("members-note").textContent = clusterError ? "(lag and replication from the leader's view: " + clusterError + ")"
        : "";
    const metricsRefused = [...members.values()].find(m => m.metricsError !== null);
    $("charts-state").textContent = metricsRefused ? "metrics of node " + metricsRefused.id + ": "
        + metricsRefused.metricsError : "";
    renderMembers(l, from);
    renderStorage();
    renderLeaderChanges();
    renderLog();
    renderLeases();
    renderChaos();
    renderKeys();
    drawCharts();
  }

  function progressOf(id) {
    if (!cluster || Date.now() - cluster.at > 3 * INTERVAL_MS) {
      return null;
    }
    return (cluster.members || []).find(p => p.id === id) || null;
  }

  function health(m) {
    if (!reachable(m)) {
      return "unreachable";
    }
    const s = m.status;
    if (!s.healthy) {
      return "fenced (storage failed)";
    }
    if (s.rebuilding) {
      return "rebuilding";
    }
    if (s.leaderId === null || s.leaderId === undefined) {
      return "no leader known";
    }
    return "ok";
  }

  function renderMembers(l, from) {
    const body = $("members").tBodies[0];
    body.replaceChildren();
    const ids = [...members.keys()].sort((a, b) => a - b);
    for (const id of ids) {
      const m = members.get(id);
      const row = document.createElement("tr");
      row.dataset.member = String(id);
      const up = reachable(m);
      row.className = (up ? "" : "unreachable") + (from && from.id === id ? " source" : "");
      row.title = "click to read the log, leases and keys from this member";
      row.addEventListener("click", () => {
        selectedId = id;
        scheduleRender();
      });
      const s = m.status;
      const progress = progressOf(id);
      cell(row, id, "id");
      cell(row, m.address || "(address unknown)", "address");
      const role = up ? s.role : "unreachable";
      cell(row, role, "role role-" + role);
      cell(row, s ? s.term : null, "term");
      cell(row, s ? s.commitIndex : null, "commit");
      cell(row, s ? s.appliedIndex : null, "applied");
      let lag = null;
      if (progress) {
        lag = progress.lag;
      } else if (l && s && up) {
        lag = Math.max(0, l.status.lastLogIndex - s.lastLogIndex);
      }
      cell(row, lag, "lag");
      cell(row, progress ? (progress.role === "leader" ? "self" : progress.voter ? "voter" : "learner")
          + (progress.rebuilding ? ", rebuilding" : "") : null, "replication");
      cell(row, health(m), "health");
      cell(row, ago(m.lastOk), "contact");
      body.appendChild(row);
    }
  }

  function renderStorage() {
    const body = $("storage").tBodies[0];
    body.replaceChildren();
    for (const id of [...members.keys()].sort((a, b) => a - b)) {
      const m = members.get(id);
      const s = reachable(m) ? m.status : null;
      const row = document.createElement("tr");
      row.dataset.member = String(id);
      cell(row, id);
      cell(row, s ? s.firstLogIndex : null);
      cell(row, s ? s.lastLogIndex : null);
      cell(row, s ? s.snapshotIndex : null);
      cell(row, s ? s.revision : null);
      cell(row, s ? s.compactRevision : null);
      cell(row, s ? s.watchers : null);
      body.appendChild(row);
    }
  }

  function renderLeaderChanges() {
    const list = $("leader-changes");
    list.replaceChildren();
    for (let i = leaderChanges.length - 1; i >= 0; i--) {
      const change = leaderChanges[i];
      const item = document.createElement("li");
      item.textContent = clock(change.t) + " — " + (change.id ? "node " + change.id + " leads in term " + change.term
          : "no leader reachable");
      list.appendChild(item);
    }
  }

  function renderLog() {
    const body = $("log").tBodies[0];
    body.replaceChildren();
    if (!log) {
      return;
    }
    $("log-source").textContent = log.error ? "(" + (log.from ? "node " + log.from + ": " : "") + log.error + ")"
        : "(node " + log.from + "'s log: entries " + log.firstIndex + "–" + log.lastIndex + ", committed through "
        + log.commitIndex + ")";
    for (const entry of log.entries || []) {
      const row = document.createElement("tr");
      cell(row, entry.index);
      cell(row, entry.term);
      cell(row, entry.type);
      cell(row, entry.command ? entry.command + (entry.idempotent ? " (idempotent)" : "") : "");
      let what = entry.key !== undefined ? entry.key : "";
      if (entry.lease !== undefined) {
        what = "lease " + entry.lease;
      } else if (entry.revision !== undefined) {
        what = "below revision " + entry.revision;
      } else if (entry.ops !== undefined) {
        what = entry.compares + " compares, " + entry.ops + " ops";
      } else if (entry.voters !== undefined) {
        what = "voters " + entry.voters.join(",") + (entry.learners.length ? "; learners " + entry.learners.join(",") : "");
      }
      cell(row, what, "key");
      body.appendChild(row);
    }
  }

  function renderLeases() {
    const body = $("leases").tBodies[0];
    body.replaceChildren();
    if (!leases) {
      return;
    }
    const all = leases.leases || [];
    $("leases-count").textContent = leases.error ? "(" + leases.error + ")"
        : "(" + all.length + (all.length > LEASES_SHOWN ? ", first " + LEASES_SHOWN + " shown" : "") + ")";
    for (const lease of all.slice(0, LEASES_SHOWN)) {
      const row = document.createElement("tr");
      cell(row, lease.id);
      cell(row, lease.ttl);
      body.appendChild(row);
    }
  }

  function renderChaos() {
    if (CHAOS_PORT === null) {
      return;
    }
    $("chaos-section").hidden = false;
    $("chaos-state").textContent = chaos.error ? "chaos feed on port " + CHAOS_PORT + " unreachable: " + chaos.error
        : chaos.running === null ? "waiting for the chaos feed on port " + CHAOS_PORT + "…"
        : (chaos.running ? "running" : "finished") + " · " + chaos.events.length + " events";
    const list = $("chaos-events");
    if (list.childElementCount === chaos.events.length && list.dataset.last === String(chaos.after)) {
      return;
    }
    list.replaceChildren();
    list.dataset.last = String(chaos.after);
    for (let i = chaos.events.length - 1; i >= 0; i--) {
      const event = chaos.events[i];
      const item = document.createElement("li");
      item.className = "kind-" + event.kind;
      item.dataset.seq = String(event.seq);
      item.textContent = clock(event.t) + " — " + event.kind + " " + (event.target || "")
          + (event.detail ? ": " + event.detail : "");
      list.appendChild(item);
    }
  }

  // ----- charts (drawn on <canvas>) ---------------------------------------------------------------------------

  const SERIES = {
    rate: [{key: "writeRate", label: "writes/s", color: "#0b5cad"}, {key: "readRate", label: "reads/s", color: "#1a7f37"}],
    latency: [{key: "writeP50", label: "write p50", color: "#7aa7d9"}, {key: "writeP99", label: "write p99", color: "#0b5cad"},
      {key: "readP50", label: "read p50", color: "#8cc79b"}, {key: "readP99", label: "read p99", color: "#1a7f37"}]
  };

  function drawCharts() {
    const now = Date.now();
    while (markers.length > 0 && markers[0].t < now - WINDOW_MS) {
      markers.shift();
    }
    const rate = $("chart-rate");
    rate.dataset.points = String(points.length);
    rate.dataset.writeRate = String(points.length ? points[points.length - 1].writeRate : 0);
    drawChart(rate, SERIES.rate, now);
    drawChart($("chart-latency"), SERIES.latency, now);
  }

  function niceMax(value) {
    if (!(value > 0)) {
      return 1;
    }
    const magnitude = Math.pow(10, Math.floor(Math.log10(value)));
    for (const step of [1, 2, 4, 8, 10]) { // a quarter of each is a round number
      if (step * magnitude >= value) {
        return step * magnitude;
      }
    }
    return 10 * magnitude;
  }

  function drawChart(canvas, series, now) {
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth || 400;
    const height = canvas.clientHeight || 180;
    if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
    }
    const g = canvas.getContext("2d");
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, width, height);
    const left = 48, right = 8, top = 8, bottom = 20;
    const plotW = width - left - right, plotH = height - top - bottom;
    const start = now - WINDOW_MS;
    let max = 0;
    for (const p of points) {
      for (const s of series) {
        if (p[s.key] !== null && p[s.key] > max) {
          max = p[s.key];
        }
      }
    }
    max = niceMax(max);
    const x = t => left + (t - start) / WINDOW_MS * plotW;
    const y = v => top + plotH - v / max * plotH;
    g.font = "11px system-ui, sans-serif";
    g.strokeStyle = "#dde0e3";
    g.fillStyle = "#6b7075";
    g.lineWidth = 1;
    for (let i = 0; i <= 4; i++) {
      const v = max * i / 4;
      const yy = Math.round(y(v)) + 0.5;
      g.beginPath();
      g.moveTo(left, yy);
      g.lineTo(left + plotW, yy);
      g.stroke();
      g.fillText(v >= 100 ? v.toFixed(0) : v.toPrecision(2), 4, yy + 4);
    }
    const minutes = WINDOW_MS / 60000;
    g.textAlign = "center";
    for (let i = 0; i <= minutes; i += Math.max(1, Math.round(minutes / 5))) {
      const label = i === minutes ? "now" : "-" + (minutes - i) + " min";
      g.fillText(label, Math.min(left + i / minutes * plotW, width - 16), height - 4);
    }
    g.textAlign = "left";
    let labelEnd = -Infinity;
    for (const marker of markers) {
      if (marker.t < start) {
        continue;
      }
      const xx = Math.round(x(marker.t)) + 0.5;
      g.strokeStyle = marker.color;
      g.setLineDash([3, 3]);
      g.beginPath();
      g.moveTo(xx, top);
      g.lineTo(xx, top + plotH);
      g.stroke();
      g.setLineDash([]);
      // A label only where it does not run into the previous one; the dashed line is always drawn.
      const labelX = Math.min(xx + 2, width - g.measureText(marker.label).width - 2);
      if (labelX > labelEnd + 4) {
        g.fillStyle = marker.color;
        g.fillText(marker.label, labelX, top + 10);
        labelEnd = labelX + g.measureText(marker.label).width;
      }
    }
    g.lineWidth = 1.5;
    for (const s of series) {
      g.strokeStyle = s.color;
      g.beginPath();
      let pen = false;
      for (const p of points) {
        const v = p[s.key];
        if (v === null || p.t < start) {
          pen = false;
          continue;
        }
        if (pen) {
          g.lineTo(x(p.t), y(v));
        } else {
          g.moveTo(x(p.t), y(v));
          pen = true;
        }
      }
      g.stroke();
    }
  }

  function renderLegend() {
    const legend = $("legend");
    for (const s of SERIES.rate.concat(SERIES.latency)) {
      const item = document.createElement("span");
      item.style.setProperty("--swatch", s.color);
      item.textContent = s.label;
      legend.appendChild(item);
    }
    const marks = document.createElement("span");
    marks.style.setProperty("--swatch", "repeating-linear-gradient(90deg,#b42318 0 3px,transparent 3px 6px)");
    marks.textContent = "dashed: leader changes (green) and chaos faults";
    legend.appendChild(marks);
  }

  // ----- key browser -------------------------------------------------------------------------------------------

  function keyUrl(from, key) {
    return from.address + "/v1/kv/" + key.split("/").map(encodeURIComponent).join("/");
  }

  function setEditState(text) {
    $("edit-state").textContent = text;
  }

  /** Put and delete are off, with a tooltip saying why, for a key whose put or delete this user was refused. */
  function updateWriteButtons() {
    const refused = writeRefusals.get($("edit-key").value);
    for (const id of ["put-button", "delete-button"]) {
      const button = $(id);
      button.disabled = refused !== undefined;
      button.title = refused !== undefined ? refused : "";
    }
  }

  async function listKeys(fresh) {
    const from = source();
    if (!from) {
      $("list-state").textContent = "no member reachable";
      return;
    }
    if (keyList.inFlight) {
      return;
    }
    keyList.inFlight = true;
    if (fresh) {
      keyList.prefix = $("prefix").value;
      keyList.after = null;
      keyList.revision = null;
    }
    let url = from.address + "/v1/kv?limit=" + KEYS_PAGE + "&prefix=" + encodeURIComponent(keyList.prefix);
    if (keyList.after !== null) {
      url += "&after=" + encodeURIComponent(keyList.after) + "&revision=" + keyList.revision;
    }
    $("list-state").textContent = "listing…";
    try {
      const page = await getJson(url);
      keyList.items = page.items || [];
      keyList.generation++;
      keyList.more = page.more === true;
      keyList.revision = page.revision;
      if (keyList.items.length > 0) {
        keyList.after = keyList.items[keyList.items.length - 1].key;
      }
      $("list-state").textContent = keyList.items.length + " keys" + (keyList.more ? " (more on the next page)" : "")
          + " at revision " + page.revision + " from node " + from.id;
    } catch (e) {
      $("list-state").textContent = "listing failed: " + e.message;
    } finally {
      keyList.inFlight = false;
      renderKeys();
    }
  }

  function renderKeys() {
    const body = $("keys").tBodies[0];
    if (body.dataset.generation === String(keyList.generation)) {
      return;
    }
    body.dataset.generation = String(keyList.generation);
    body.replaceChildren();
    for (const item of keyList.items) {
      const row = document.createElement("tr");
      row.dataset.key = item.key;
      cell(row, item.key, "key");
      cell(row, item.version);
      cell(row, item.revision);
      cell(row, item.lease || "");
      const value = item.encoding === "base64" ? "(binary, base64) " + item.value : item.value;
      cell(row, value.length > VALUE_PREVIEW_CHARS ? value.substring(0, VALUE_PREVIEW_CHARS) + "…" : value, "value");
      row.addEventListener("click", () => {
        $("edit-key").value = item.key;
        updateWriteButtons();
        readKey();
      });
      body.appendChild(row);
    }
    $("next-button").disabled = !keyList.more;
  }

  async function readKey() {
    const from = source();
    const key = $("edit-key").value;
    if (!from || !key) {
      return;
    }
    try {
      const entry = await getJson(keyUrl(from, key));
      const binary = entry.encoding === "base64";
      $("value-view").textContent = binary ? "(binary, base64)\n" + entry.value : entry.value;
      if (!binary) {
        $("edit-value").value = entry.value;
      }
      setEditState(key + ": revision " + entry.revision + ", version " + entry.version + (entry.lease ? ", lease "
          + entry.lease : "") + " (node " + from.id + ")");
    } catch (e) {
      $("value-view").textContent = "";
      setEditState("read " + key + ": " + e.message);
    }
  }

  async function writeKey(method) {
    const from = source();
    const key = $("edit-key").value;
    if (!from) {
      setEditState("no member reachable");
      return;
    }
    if (!key) {
      setEditState("give a key");
      return;
    }
    if (writeRefusals.has(key)) {
      setEditState(writeRefusals.get(key));
      return;
    }
    setEditState((method === "PUT" ? "writing " : "deleting ") + key + "…");
    try {
      const {response, token} = await request(keyUrl(from, key), method === "PUT"
          ? {method: "PUT", body: $("edit-value").value, headers: {"content-type": "text/plain;charset=utf-8"}}
          : {method: "DELETE"});
      const body = await response.json().catch(() => null);
      if (!response.ok) {
        const refused = refusal(response.status, body, token);
        if (refused.status === 403 && token === storedToken()) {
          // Put and delete both need write on the key: neither is offered for it again while this user is signed in.
          if (writeRefusals.size >= MAX_WRITE_REFUSALS) {
            writeRefusals.delete(writeRefusals.keys().next().value);
          }
          writeRefusals.set(key, (method === "PUT" ? "put " : "delete ") + key + " refused: " + refused.message);
          updateWriteButtons();
        }
        throw refused;
      }
      setEditState((method === "PUT" ? "wrote " : "deleted ") + key + " at revision " + body.revision
          + " (through node " + from.id + ")");
      listKeys(true);
    } catch (e) {
      setEditState((method === "PUT" ? "write " : "delete ") + key + " failed: " + e.message);
    }
  }

  // ----- start -----------------------------------------------------------------------------------------------

  $("interval").textContent = String(INTERVAL_MS);
  $("list-form").addEventListener("submit", e => {
    e.preventDefault();
    listKeys(true);
  });
  $("next-button").addEventListener("click", () => listKeys(false));
  $("put-form").addEventListener("submit", e => {
    e.preventDefault();
    writeKey("PUT");
  });
  $("delete-button").addEventListener("click", () => writeKey("DELETE"));
  $("get-button").addEventListener("click", readKey);
  $("edit-key").addEventListener("input", updateWriteButtons);
  $("signin-form").addEventListener("submit", e => {
    e.preventDefault();
    signIn();
  });
  $("signout-button").addEventListener("click", signOut);
  showSession();
  window.addEventListener("resize", scheduleRender);
  renderLegend();
  tick();
  setInterval(tick, INTERVAL_MS);
})();
