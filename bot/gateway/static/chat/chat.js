/* Bürgerservice-Bot Jena – citizen web chat. Plain JavaScript, no build step.
 *
 * Safety rule for this file: text from the server or the citizen is only ever inserted with
 * textContent / createElement, never as HTML. Links are only made from http(s) URLs.
 */
(function () {
  "use strict";

  var API = "/api/chat";
  var STORE_KEY = "jenabot.chat";
  var PAGE_SIZE = 200; // the server sends at most this many messages per request
  var RETRY_DELAYS = [1000, 2000, 4000]; // network errors: the same client_id is sent again
  var HANDOFF_TEXT = "Ich möchte mit einem Mitarbeiter sprechen";
  var WHO = { bot: "Bürgerservice-Bot", citizen: "Sie", staff: "Bürgerservice-Team", system: "Hinweis" };
  var ERRORS = {
    network: "Keine Verbindung zum Server. Bitte prüfen Sie Ihre Internetverbindung und versuchen Sie es noch einmal.",
    413: "Ihre Nachricht ist zu lang. Bitte kürzen Sie sie.",
    422: "Diese Nachricht kann nicht gesendet werden. Bitte schreiben Sie höchstens 2000 Zeichen.",
    429: "Sie haben in kurzer Zeit viele Nachrichten geschickt. Bitte warten Sie eine Minute. Dann können Sie weiterschreiben.",
    server: "Es gibt gerade ein technisches Problem. Bitte versuchen Sie es später noch einmal. Oder rufen Sie die Stadtverwaltung an: Telefon " + (document.body.dataset.phone || "") + ".",
    other: "Das hat leider nicht geklappt. Bitte versuchen Sie es noch einmal.",
    empty: "Bitte schreiben Sie zuerst Ihre Frage.",
    feedback: "Ihre Bewertung konnte nicht gespeichert werden. Bitte versuchen Sie es noch einmal."
  };

  var form = document.getElementById("chat-form");
  var input = document.getElementById("chat-input");
  var log = document.getElementById("chat-log");
  var errorBox = document.getElementById("chat-error");
  var statusLine = document.getElementById("chat-status");
  var typing = document.getElementById("chat-typing");

  var state = { cid: null, last: 0, status: null, source: null, retryStream: 1000, queue: Promise.resolve() };
  var rendered = new Map(); // message id -> element
  var pending = []; // citizen messages shown but not yet known by id: {clientId, text, shown, el, before}
  var buttonTitles = new Map(); // payload -> title, so a button the citizen pressed shows its title after a reload

  // --- small helpers -------------------------------------------------------------------------

  function make(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function sleep(ms) {
    return new Promise(function (resolve) { setTimeout(resolve, ms); });
  }

  function randomId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function germanDate(value) {
    var m = /^(\d{4})-(\d{2})-(\d{2})/.exec(String(value || ""));
    return m ? m[3] + "." + m[2] + "." + m[1] : String(value || "");
  }

  function safeUrl(value) {
    try {
      var url = new URL(String(value), window.location.href);
      return url.protocol === "https:" || url.protocol === "http:" ? url : null;
    } catch (e) {
      return null;
    }
  }

  function load() {
    try {
      return JSON.parse(window.sessionStorage.getItem(STORE_KEY) || "{}") || {};
    } catch (e) {
      return {};
    }
  }

  function save() {
    try {
      window.sessionStorage.setItem(STORE_KEY, JSON.stringify({ cid: state.cid, last: state.last }));
    } catch (e) { /* storage blocked (private mode, third-party frame): the chat still works, a reload starts anew */ }
  }

  function forget() {
    state.cid = null;
    state.last = 0;
    if (state.source) state.source.close();
    state.source = null;
    save();
  }

  function showError(text) {
    errorBox.textContent = text;
  }

  function clearError() {
    errorBox.textContent = "";
  }

  function setTyping(on) {
    typing.textContent = on ? "Der Bot schreibt …" : "";
    typing.classList.toggle("active", on);
  }

  var stickToEnd = true; // false while the citizen has scrolled up to read older messages
  var autoScrolledAt = 0;

  function scrollToEnd() {
    log.scrollTop = log.scrollHeight;
    stickToEnd = true;
    autoScrolledAt = Date.now();
  }

  function errorFor(status) {
    if (status === 413 || status === 422 || status === 429) return ERRORS[status];
    return status >= 500 ? ERRORS.server : ERRORS.other;
  }

  // --- rendering ------------------------------------------------------------------------------

  function insertById(node, id) {
    var items = log.querySelectorAll("[data-id]");
    for (var i = 0; i < items.length; i++) {
      if (Number(items[i].getAttribute("data-id")) > id) {
        log.insertBefore(node, items[i]);
        return;
      }
    }
    log.appendChild(node);
  }

  var LINK = /https?:\/\/[^\s<>"']+/g;

  function linkedText(className, text) {
    // Web addresses in the bot's and staff's texts become links; everything else stays text (textContent).
    var p = make("p", className);
    var position = 0;
    String(text).replace(LINK, function (found, offset) {
      var address = found.replace(/[.,;:!?)\]}»“"]+$/, "");
      var url = safeUrl(address);
      if (!url) return found;
      if (offset > position) p.appendChild(document.createTextNode(text.slice(position, offset)));
      var link = make("a", null, address);
      link.href = url.href;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      link.appendChild(make("span", "new-tab", " (öffnet in neuem Tab)"));
      p.appendChild(link);
      position = offset + address.length;
      return found;
    });
    if (position < text.length) p.appendChild(document.createTextNode(text.slice(position)));
    return p;
  }

  function bubble(role, text) {
    var node = make("div", "msg msg-" + (WHO[role] ? role : "system"));
    node.appendChild(make("span", "msg-who", (WHO[role] || WHO.system) + ":"));
    node.appendChild(role === "citizen" ? make("p", "msg-text", text) : linkedText("msg-text", String(text)));
    return node;
  }

  // A long answer shows its first lines (about six on a phone); "Mehr anzeigen" shows the rest.
  var foldCount = 0;

  function fold(node) {
    var body = node.querySelector(".msg-text");
    if (!body || node.querySelector(".fold-toggle")) return;
    body.classList.add("folded");
    if (body.scrollHeight <= body.clientHeight + 4) {
      body.classList.remove("folded"); // short enough: nothing to hide
      return;
    }
    foldCount += 1;
    body.id = "msg-text-" + foldCount;
    var toggle = make("button", "fold-toggle", "Mehr anzeigen");
    toggle.type = "button";
    toggle.setAttribute("aria-expanded", "false");
    toggle.setAttribute("aria-controls", body.id);
    toggle.addEventListener("click", function () {
      var open = body.classList.toggle("folded") === false;
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      toggle.textContent = open ? "Weniger anzeigen" : "Mehr anzeigen";
    });
    body.parentNode.insertBefore(toggle, body.nextSibling);
  }

  function sourceLine(custom) {
    var url = safeUrl(custom.source);
    var line = make("p", "card-source", "Quelle: ");
    if (!url) {
      line.appendChild(document.createTextNode(String(custom.source)));
      return line;
    }
    var link = make("a", null, url.hostname + url.pathname.replace(/\/$/, ""));
    link.href = url.href;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    link.appendChild(make("span", "new-tab", " (öffnet in neuem Tab)"));
    line.appendChild(link);
    return line;
  }

  function messageNode(m) {
    var custom = m.custom && typeof m.custom === "object" ? m.custom : {};
    var text = String(m.text || "");
    if (m.role === "citizen" && buttonTitles.has(text)) text = buttonTitles.get(text);
    var isAnswer = m.role === "bot" && custom.type === "answer";
    if (isAnswer && custom.source) text = text.replace(/\s*Quelle:[^\n]*$/, ""); // shown below as a link
    var node = bubble(m.role, text);
    if (isAnswer) {
      node.classList.add("card");
      if (custom.service && custom.service.name) {
        node.insertBefore(make("p", "card-title", custom.service.name), node.querySelector(".msg-text"));
      }
      if (custom.source) node.appendChild(sourceLine(custom));
      if (custom.stand) node.appendChild(make("p", "card-stand", "Stand: " + germanDate(custom.stand)));
    }
    if (Array.isArray(m.buttons) && m.buttons.length) {
      var group = make("div", "msg-buttons");
      group.setAttribute("role", "group");
      group.setAttribute("aria-label", "Antwortmöglichkeiten");
      m.buttons.forEach(function (b) {
        var title = String(b.title || b.payload || "");
        var payload = String(b.payload || b.title || "");
        buttonTitles.set(payload, title);
        var button = make("button", "choice", title);
        button.type = "button";
        button.addEventListener("click", function () { send(payload, title); });
        group.appendChild(button);
      });
      node.appendChild(group);
    }
    if (m.role === "bot" && (custom.type === "answer" || custom.type === "decline")) {
      node.appendChild(feedbackNode(m.id));
    }
    if (m.role === "system" && custom.type === "rating" && custom.ticket) {
      node.appendChild(ratingNode(String(custom.ticket)));
    }
    return node;
  }

  function ratingNode(ticket) {
    // One tap after a resolved ticket: 1 (schlecht) … 5 (sehr gut); a second tap replaces the first.
    var box = make("div", "feedback rating");
    box.setAttribute("role", "group");
    box.setAttribute("aria-label", "Bewertung von 1 (schlecht) bis 5 (sehr gut)");
    var note = make("p", "feedback-note");
    var buttons = [1, 2, 3, 4, 5].map(function (score) {
      var b = make("button", "vote rate", String(score));
      b.type = "button";
      b.setAttribute("aria-pressed", "false");
      b.setAttribute("aria-label", score + " von 5" + (score === 1 ? " (schlecht)" : score === 5 ? " (sehr gut)" : ""));
      b.addEventListener("click", function () { rate(ticket, score, buttons, note); });
      box.appendChild(b);
      return b;
    });
    box.appendChild(note);
    return box;
  }

  async function rate(ticket, score, buttons, note) {
    try {
      var response = await postJson(API + "/rating", { conversation_id: state.cid, ticket: ticket, score: score });
      if (!response.ok) throw new Error(String(response.status));
      buttons.forEach(function (b, i) { b.setAttribute("aria-pressed", String(i + 1 === score)); });
      note.textContent = "Danke für Ihre Bewertung.";
    } catch (e) {
      showError(ERRORS.feedback);
    }
  }

  function feedbackNode(messageId) {
    var box = make("div", "feedback");
    box.setAttribute("role", "group");
    box.setAttribute("aria-label", "War diese Antwort hilfreich?");
    box.appendChild(make("span", "feedback-question", "War das hilfreich?"));
    var up = make("button", "vote vote-up", "Hilfreich");
    var down = make("button", "vote vote-down", "Nicht hilfreich");
    [up, down].forEach(function (b) {
      b.type = "button";
      b.setAttribute("aria-pressed", "false");
      box.appendChild(b);
    });
    var note = make("p", "feedback-note");
    box.appendChild(note);
    up.addEventListener("click", function () { vote(messageId, 1, up, down, box, note); });
    down.addEventListener("click", function () { vote(messageId, -1, up, down, box, note); });
    return box;
  }

  function adopt(m) {
    if (!pending.length) return null;
    var index = pending.findIndex(function (p) { return p.text === m.text; });
    var item = pending.splice(index >= 0 ? index : 0, 1)[0];
    item.id = m.id;
    return item.el;
  }

  function renderMessage(m) {
    if (!m || typeof m.id !== "number" || rendered.has(m.id)) return;
    if (m.id > state.last) {
      state.last = m.id;
      save();
    }
    var node = m.role === "citizen" ? adopt(m) : null;
    if (!node) {
      node = messageNode(m);
      insertById(node, m.id);
    }
    node.setAttribute("data-id", String(m.id));
    rendered.set(m.id, node);
    if (m.role === "bot" || m.role === "staff") fold(node);
    scrollToEnd();
  }

  // The line always says what the ticket really is: live with a person, waiting for staff with a way to
  // reach the citizen, or stored without one (then the citizen should call).
  function statusText(s, previous) {
    if (s.ticket) {
      var text = "Ihre Vorgangsnummer: " + s.ticket + ". ";
      if (s.paused && s.live) return text + "Eine Mitarbeiterin oder ein Mitarbeiter ist verbunden.";
      if (s.paused) return text + "Ihre Nachrichten gehen an diesen Vorgang; die Antwort erscheint hier.";
      if (s.live) return text + "Sie schreiben wieder mit dem Bot.";
      if (s.contact === false) {
        return "Ihr Vorgang " + s.ticket + " ist gespeichert. Ohne Kontaktangabe können wir uns nicht bei Ihnen melden. " +
          "Bitte rufen Sie die Stadtverwaltung Jena an (Telefon " + (document.body.dataset.phone || "") + ") und nennen Sie die Nummer.";
      }
      if (s.ticket_status === "in_progress") return text + "Ihr Anliegen wird bearbeitet. Wir melden uns bei Ihnen.";
      return text + "Wir melden uns bei Ihnen, sobald der Bürgerservice wieder besetzt ist.";
    }
    if (s.paused) return "Eine Mitarbeiterin oder ein Mitarbeiter ist verbunden.";
    if (previous && previous.ticket) return "Ihr Vorgang " + previous.ticket + " ist abgeschlossen. Der Bot antwortet wieder.";
    return statusLine.textContent;
  }

  function updateStatus(s) {
    if (!s || typeof s !== "object") return;
    var text = statusText(s, state.status);
    state.status = s;
    if (text !== statusLine.textContent) statusLine.textContent = text; // unchanged text is not announced again
  }

  // --- talking to the gateway -----------------------------------------------------------------

  function postJson(url, body) {
    return fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
      credentials: "same-origin"
    });
  }

  function send(text, shown) {
    text = String(text).trim();
    if (!text) return;
    var node = bubble("citizen", shown || text);
    node.classList.add("pending");
    log.appendChild(node);
    scrollToEnd();
    var item = { clientId: randomId(), text: text, shown: shown || text, el: node, id: null, before: state.last };
    pending.push(item);
    enqueue(item);
  }

  function enqueue(item) {
    // One message at a time, so the bot sees them in the order they were written.
    state.queue = state.queue.then(function () { return deliver(item); }).catch(function () {});
  }

  async function deliver(item) {
    clearError();
    setTyping(true);
    var restarted = false;
    try {
      for (var attempt = 0; ; attempt++) {
        var response;
        try {
          var body = { text: item.text, client_id: item.clientId };
          if (state.cid) body.conversation_id = state.cid;
          response = await postJson(API + "/messages", body);
        } catch (e) {
          if (attempt < RETRY_DELAYS.length) {
            await sleep(RETRY_DELAYS[attempt]);
            continue;
          }
          return failed(item, ERRORS.network, true);
        }
        if (response.ok) {
          var data = await response.json();
          return accept(item, data);
        }
        if ((response.status === 502 || response.status === 503 || response.status === 504) && attempt < RETRY_DELAYS.length) {
          await sleep(RETRY_DELAYS[attempt]);
          continue;
        }
        if (response.status === 404 && state.cid && !restarted) {
          forget(); // the conversation was deleted after a long pause: start a new one
          restarted = true;
          continue;
        }
        return failed(item, errorFor(response.status), response.status >= 500 || response.status === 429);
      }
    } catch (e) {
      return failed(item, ERRORS.other, true);
    } finally {
      setTyping(false);
    }
  }

  async function accept(item, data) {
    var fresh = state.cid !== data.conversation_id;
    state.cid = data.conversation_id;
    save();
    item.el.classList.remove("pending");
    if (item.id === null) {
      // The reply does not contain the citizen's own message; fetch it (with its id) unless the stream already did.
      await catchUp(item.before, item);
    }
    (data.messages || []).forEach(renderMessage);
    updateStatus(data.status);
    if (fresh || !state.source) follow();
  }

  function failed(item, text, canRetry) {
    showError(text);
    var index = pending.indexOf(item);
    if (!canRetry) {
      // Not stored (too long, invalid): give the text back for editing.
      if (index >= 0) pending.splice(index, 1);
      item.el.remove();
      if (!input.value) input.value = item.shown === item.text ? item.text : "";
      input.focus();
      return;
    }
    item.el.classList.remove("pending");
    item.el.classList.add("failed");
    var row = make("p", "retry", "Nicht gesendet. ");
    var again = make("button", "retry-button", "Erneut senden");
    again.type = "button";
    again.addEventListener("click", function () {
      row.remove();
      item.el.classList.remove("failed");
      item.el.classList.add("pending");
      enqueue(item); // same client_id: the server stores it only once
    });
    row.appendChild(again);
    item.el.appendChild(row);
  }

  async function catchUp(after, item) {
    if (!state.cid) return;
    try {
      var response = await fetch(API + "/" + encodeURIComponent(state.cid) + "/messages?after=" + after, { headers: { Accept: "application/json" } });
      if (!response.ok) return;
      var data = await response.json();
      (data.messages || []).forEach(function (m) {
        if (item && item.id === null && m.role === "citizen" && !rendered.has(m.id)) {
          var index = pending.indexOf(item);
          if (index >= 0) pending.splice(index, 1);
          item.id = m.id;
          item.el.setAttribute("data-id", String(m.id));
          rendered.set(m.id, item.el);
          if (m.id > state.last) state.last = m.id;
          return;
        }
        renderMessage(m);
      });
      save();
      updateStatus(data.status);
    } catch (e) { /* the event stream brings it later */ }
  }

  function follow() {
    if (!state.cid || !window.EventSource) return;
    if (state.source) state.source.close();
    var source = new EventSource(API + "/" + encodeURIComponent(state.cid) + "/events?after=" + state.last);
    state.source = source;
    source.addEventListener("message", function (event) {
      state.retryStream = 1000;
      try { renderMessage(JSON.parse(event.data)); } catch (e) { /* ignore a broken event */ }
    });
    source.addEventListener("status", function (event) {
      try { updateStatus(JSON.parse(event.data)); } catch (e) { /* ignore a broken event */ }
    });
    source.addEventListener("error", function () {
      // While CONNECTING the browser retries by itself (with Last-Event-ID); CLOSED means it gave up.
      if (source.readyState !== EventSource.CLOSED || state.source !== source) return;
      state.source = null;
      var delay = state.retryStream;
      state.retryStream = Math.min(delay * 2, 30000);
      setTimeout(function () { if (!state.source) follow(); }, delay);
    });
  }

  async function vote(messageId, value, up, down, box, note) {
    var chosen = value === 1 ? up : down;
    var other = value === 1 ? down : up;
    var before = [up.getAttribute("aria-pressed"), down.getAttribute("aria-pressed")];
    chosen.setAttribute("aria-pressed", "true");
    other.setAttribute("aria-pressed", "false");
    try {
      var response = await postJson(API + "/feedback", { conversation_id: state.cid, message_id: messageId, vote: value });
      if (!response.ok) throw new Error(String(response.status));
      var data = await response.json();
      note.textContent = "Danke für Ihre Rückmeldung.";
      if (data.offer_handoff && !box.querySelector(".handoff-offer")) {
        var offer = make("button", "handoff-offer", "Mit einer Person sprechen");
        offer.type = "button";
        offer.addEventListener("click", function () {
          offer.remove();
          send(HANDOFF_TEXT);
          input.focus();
        });
        box.appendChild(offer);
      }
    } catch (e) {
      up.setAttribute("aria-pressed", before[0]);
      down.setAttribute("aria-pressed", before[1]);
      showError(ERRORS.feedback);
    }
  }

  async function resume() {
    var saved = load();
    if (!saved.cid || !/^[A-Za-z0-9_-]{8,64}$/.test(saved.cid)) return;
    state.cid = saved.cid;
    var after = 0;
    try {
      for (;;) {
        var response = await fetch(API + "/" + encodeURIComponent(state.cid) + "/messages?after=" + after, { headers: { Accept: "application/json" } });
        if (response.status === 404) {
          forget(); // deleted on the server: a new conversation starts with the next message
          return;
        }
        if (!response.ok) throw new Error(String(response.status));
        var data = await response.json();
        var messages = data.messages || [];
        messages.forEach(renderMessage);
        updateStatus(data.status);
        if (messages.length < PAGE_SIZE) break;
        after = messages[messages.length - 1].id;
      }
    } catch (e) {
      showError(ERRORS.network);
    }
    follow();
  }

  // --- wiring ---------------------------------------------------------------------------------

  log.addEventListener("scroll", function () {
    if (Date.now() - autoScrolledAt < 250) return; // our own scrolling, possibly measured after a layout change
    stickToEnd = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  });
  if (window.ResizeObserver) {
    // The status line or the typing indicator appearing makes the list shorter: keep the newest message in view.
    new ResizeObserver(function () { if (stickToEnd) scrollToEnd(); }).observe(log);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) {
      showError(ERRORS.empty);
      input.focus();
      return;
    }
    input.value = "";
    send(text);
  });

  if (document.body.classList.contains("embed")) {
    // In the iframe: Escape asks the host page (embed.js) to close the chat; focus lands in the field.
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && window.parent !== window) window.parent.postMessage({ type: "jenabot-close" }, "*");
    });
    window.addEventListener("focus", function () {
      if (document.activeElement === document.body || !document.activeElement) input.focus();
    });
  }

  resume();
})();
