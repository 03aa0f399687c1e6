/* Bürgerservice-Bot Jena – citizen web chat. Plain JavaScript, no build step.
 *
 * Safety rule for this file: text from the server or the citizen is only ever inserted with
 * textContent / createElement, never as HTML. Links are only made from http(s) URLs.
 *
 * Languages: the page speaks German or English (switch "Deutsch" / "English" in the header, kept in the
 * tab's sessionStorage). The German page texts are the HTML itself; TEXTS.en holds the English ones.
 * Pressing the switch also tells the bot (a message with "language"), which confirms in the new language.
 */
(function () {
  "use strict";

  var API = "/api/chat";
  var STORE_KEY = "jenabot.chat";
  var LANG_KEY = "jenabot.lang";
  var PAGE_SIZE = 200; // the server sends at most this many messages per request
  var RETRY_DELAYS = [1000, 2000, 4000]; // network errors: the same client_id is sent again
  var PHONE = document.body.dataset.phone || "";
  var TEXTS = {
    de: {
      handoff: "Ich möchte mit einem Mitarbeiter sprechen",
      switchTo: "Deutsch", // what the citizen "says" when pressing the switch
      who: { bot: "Bürgerservice-Bot", citizen: "Sie", staff: "Bürgerservice-Team", system: "Hinweis" },
      errors: {
        network: "Keine Verbindung zum Server. Bitte prüfen Sie Ihre Internetverbindung und versuchen Sie es noch einmal.",
        413: "Ihre Nachricht ist zu lang. Bitte kürzen Sie sie.",
        422: "Diese Nachricht kann nicht gesendet werden. Bitte schreiben Sie höchstens 2000 Zeichen.",
        429: "Sie haben in kurzer Zeit viele Nachrichten geschickt. Bitte warten Sie eine Minute. Dann können Sie weiterschreiben.",
        server: "Es gibt gerade ein technisches Problem. Bitte versuchen Sie es später noch einmal. Oder rufen Sie die Stadtverwaltung an: Telefon " + PHONE + ".",
        other: "Das hat leider nicht geklappt. Bitte versuchen Sie es noch einmal.",
        empty: "Bitte schreiben Sie zuerst Ihre Frage.",
        feedback: "Ihre Bewertung konnte nicht gespeichert werden. Bitte versuchen Sie es noch einmal."
      },
      typing: "Der Bot schreibt …",
      source: "Quelle: ",
      newTab: " (öffnet in neuem Tab)",
      stand: "Stand: ",
      choices: "Antwortmöglichkeiten",
      feedbackGroup: "War diese Antwort hilfreich?",
      feedbackQuestion: "War das hilfreich?",
      up: "Hilfreich",
      down: "Nicht hilfreich",
      thanks: "Danke für Ihre Rückmeldung.",
      rating: "Bewertung von 1 (schlecht) bis 5 (sehr gut)",
      score: function (n) { return n + " von 5" + (n === 1 ? " (schlecht)" : n === 5 ? " (sehr gut)" : ""); },
      rated: "Danke für Ihre Bewertung.",
      person: "Mit einer Person sprechen",
      notSent: "Nicht gesendet. ",
      retry: "Erneut senden",
      ticket: "Ihre Vorgangsnummer: ",
      connected: "Eine Mitarbeiterin oder ein Mitarbeiter ist verbunden.",
      toTicket: "Ihre Nachrichten gehen an diesen Vorgang; die Antwort erscheint hier.",
      backToBot: "Sie schreiben wieder mit dem Bot.",
      noContact: function (ticket) {
        return "Ihr Vorgang " + ticket + " ist gespeichert. Ohne Kontaktangabe können wir uns nicht bei Ihnen melden. " +
          "Bitte rufen Sie die Stadtverwaltung Jena an (Telefon " + PHONE + ") und nennen Sie die Nummer.";
      },
      inProgress: "Ihr Anliegen wird bearbeitet. Wir melden uns bei Ihnen.",
      later: "Wir melden uns bei Ihnen, sobald der Bürgerservice wieder besetzt ist.",
      closed: function (ticket) { return "Ihr Vorgang " + ticket + " ist abgeschlossen. Der Bot antwortet wieder."; },
      more: "Mehr anzeigen",
      less: "Weniger anzeigen",
      page: {} // read from the HTML (data-i18n) when the page loads
    },
    en: {
      handoff: "I would like to talk to a member of staff",
      switchTo: "English",
      who: { bot: "Citizens' service bot", citizen: "You", staff: "Citizens' service team", system: "Note" },
      errors: {
        network: "No connection to the server. Please check your internet connection and try again.",
        413: "Your message is too long. Please shorten it.",
        422: "This message cannot be sent. Please write at most 2000 characters.",
        429: "You have sent many messages in a short time. Please wait a minute. Then you can write again.",
        server: "There is a technical problem right now. Please try again later. Or call the City of Jena: phone " + PHONE + ".",
        other: "Sorry, that did not work. Please try again.",
        empty: "Please type your question first.",
        feedback: "Your rating could not be saved. Please try again."
      },
      typing: "The bot is typing …",
      source: "The German text is binding: ",
      newTab: " (opens in a new tab)",
      stand: "As of: ",
      choices: "Options",
      feedbackGroup: "Was this answer helpful?",
      feedbackQuestion: "Was this helpful?",
      up: "Helpful",
      down: "Not helpful",
      thanks: "Thank you for your feedback.",
      rating: "Rating from 1 (poor) to 5 (very good)",
      score: function (n) { return n + " of 5" + (n === 1 ? " (poor)" : n === 5 ? " (very good)" : ""); },
      rated: "Thank you for your rating.",
      person: "Talk to a person",
      notSent: "Not sent. ",
      retry: "Send again",
      ticket: "Your case number: ",
      connected: "A member of staff is connected.",
      toTicket: "Your messages go to this case; the answer will appear here.",
      backToBot: "You are writing with the bot again.",
      noContact: function (ticket) {
        return "Your case " + ticket + " is saved. Without a phone number or e-mail address we cannot get back to you. " +
          "Please call the City of Jena (phone " + PHONE + ") and give the case number.";
      },
      inProgress: "Your request is being handled. We will get back to you.",
      later: "We will get back to you as soon as the Bürgerservice is staffed again.",
      closed: function (ticket) { return "Your case " + ticket + " is closed. The bot answers again."; },
      more: "Show more",
      less: "Show less",
      page: {
        skip: "Skip to the input field",
        intro: "Ask about services of the City of Jena. The bot names the source and the date for every answer. The German texts are binding.",
        label: "Your question",
        send: "Send",
        hint: "Please do not write personal data such as your date of birth or bank account number. Give a phone number or e-mail address only when the bot asks for one for a call back.",
        welcome: "Hello! I answer questions about services of the City of Jena, for example: “How much is an ID card?” For every answer I name the source and the date.",
        log: "Conversation"
      }
    }
  };
  // The answer's own language decides its source line: German "Quelle: …", English "The German text is binding: …".
  var SOURCE_LINES = [["de", /\s*Quelle:[^\n]*$/], ["en", /\s*The German text is binding:[^\n]*$/]];

  var form = document.getElementById("chat-form");
  var input = document.getElementById("chat-input");
  var log = document.getElementById("chat-log");
  var errorBox = document.getElementById("chat-error");
  var statusLine = document.getElementById("chat-status");
  var typing = document.getElementById("chat-typing");
  var langSwitch = document.getElementById("chat-lang");
  var lang = initialLanguage();

  function T() {
    return TEXTS[lang];
  }

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

  function initialLanguage() {
    var asked = new URLSearchParams(window.location.search).get("lang");
    var stored = null;
    try {
      stored = window.sessionStorage.getItem(LANG_KEY);
    } catch (e) { /* storage blocked */ }
    var chosen = asked || stored || document.documentElement.lang || "de";
    return TEXTS[chosen] ? chosen : "de";
  }

  function applyLanguage() {
    // The German page texts come from the HTML, read once before the first switch.
    document.querySelectorAll("[data-i18n]").forEach(function (node) {
      var key = node.getAttribute("data-i18n");
      if (!(key in TEXTS.de.page)) TEXTS.de.page[key] = node.textContent;
      node.textContent = T().page[key] || TEXTS.de.page[key];
    });
    document.querySelectorAll("[data-i18n-label]").forEach(function (node) {
      var key = node.getAttribute("data-i18n-label");
      if (!(key in TEXTS.de.page)) TEXTS.de.page[key] = node.getAttribute("aria-label");
      node.setAttribute("aria-label", T().page[key] || TEXTS.de.page[key]);
    });
    document.querySelectorAll(".fold-toggle").forEach(function (toggle) {
      toggle.textContent = toggle.getAttribute("aria-expanded") === "true" ? T().less : T().more;
    });
    document.documentElement.lang = lang;
    if (langSwitch) {
      langSwitch.querySelectorAll("button[data-lang]").forEach(function (button) {
        button.setAttribute("aria-pressed", String(button.getAttribute("data-lang") === lang));
      });
    }
  }

  function switchLanguage(chosen) {
    if (!TEXTS[chosen] || chosen === lang) return;
    lang = chosen;
    try {
      window.sessionStorage.setItem(LANG_KEY, lang);
    } catch (e) { /* storage blocked: the switch still holds for this page */ }
    applyLanguage();
    clearError();
    send(T().switchTo, T().switchTo, lang); // the bot answers in the new language from now on
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
    typing.textContent = on ? T().typing : "";
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
    if (status === 413 || status === 422 || status === 429) return T().errors[status];
    return status >= 500 ? T().errors.server : T().errors.other;
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
      link.appendChild(make("span", "new-tab", T().newTab));
      p.appendChild(link);
      position = offset + address.length;
      return found;
    });
    if (position < text.length) p.appendChild(document.createTextNode(text.slice(position)));
    return p;
  }

  function bubble(role, text) {
    var who = T().who;
    var node = make("div", "msg msg-" + (who[role] ? role : "system"));
    node.appendChild(make("span", "msg-who", (who[role] || who.system) + ":"));
    node.appendChild(role === "citizen" ? make("p", "msg-text", text) : linkedText("msg-text", String(text)));
    return node;
  }

  // A long answer shows its first lines (about six on a phone); "Mehr anzeigen" / "Show more" shows the rest.
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
    var toggle = make("button", "fold-toggle", T().more);
    toggle.type = "button";
    toggle.setAttribute("aria-expanded", "false");
    toggle.setAttribute("aria-controls", body.id);
    toggle.addEventListener("click", function () {
      var open = body.classList.toggle("folded") === false;
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      toggle.textContent = open ? T().less : T().more;
    });
    body.parentNode.insertBefore(toggle, body.nextSibling);
  }

  function sourceLine(custom, words) {
    var url = safeUrl(custom.source);
    var line = make("p", "card-source", words.source);
    if (!url) {
      line.appendChild(document.createTextNode(String(custom.source)));
      return line;
    }
    var link = make("a", null, url.hostname + url.pathname.replace(/\/$/, ""));
    link.href = url.href;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    link.appendChild(make("span", "new-tab", words.newTab));
    line.appendChild(link);
    return line;
  }

  function messageNode(m) {
    var custom = m.custom && typeof m.custom === "object" ? m.custom : {};
    var text = String(m.text || "");
    if (m.role === "citizen" && buttonTitles.has(text)) text = buttonTitles.get(text);
    var isAnswer = m.role === "bot" && custom.type === "answer";
    var words = TEXTS.de; // an answer's source line is in the answer's language, whatever the page's
    if (isAnswer && custom.source) {
      SOURCE_LINES.forEach(function (entry) {
        if (entry[1].test(text)) {
          words = TEXTS[entry[0]];
          text = text.replace(entry[1], ""); // shown below as a link
        }
      });
    }
    var node = bubble(m.role, text);
    if (isAnswer) {
      node.classList.add("card");
      if (words === TEXTS.en) node.setAttribute("lang", "en");
      if (custom.service && custom.service.name) {
        node.insertBefore(make("p", "card-title", custom.service.name), node.querySelector(".msg-text"));
      }
      if (custom.source) node.appendChild(sourceLine(custom, words));
      if (custom.stand) node.appendChild(make("p", "card-stand", words.stand + germanDate(custom.stand)));
    }
    if (Array.isArray(m.buttons) && m.buttons.length) {
      var group = make("div", "msg-buttons");
      group.setAttribute("role", "group");
      group.setAttribute("aria-label", T().choices);
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
    box.setAttribute("aria-label", T().rating);
    var note = make("p", "feedback-note");
    var buttons = [1, 2, 3, 4, 5].map(function (score) {
      var b = make("button", "vote rate", String(score));
      b.type = "button";
      b.setAttribute("aria-pressed", "false");
      b.setAttribute("aria-label", T().score(score));
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
      note.textContent = T().rated;
    } catch (e) {
      showError(T().errors.feedback);
    }
  }

  function feedbackNode(messageId) {
    var box = make("div", "feedback");
    box.setAttribute("role", "group");
    box.setAttribute("aria-label", T().feedbackGroup);
    box.appendChild(make("span", "feedback-question", T().feedbackQuestion));
    var up = make("button", "vote vote-up", T().up);
    var down = make("button", "vote vote-down", T().down);
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
    var t = T();
    if (s.ticket) {
      var text = t.ticket + s.ticket + ". ";
      if (s.paused && s.live) return text + t.connected;
      if (s.paused) return text + t.toTicket;
      if (s.live) return text + t.backToBot;
      if (s.contact === false) return t.noContact(s.ticket);
      if (s.ticket_status === "in_progress") return text + t.inProgress;
      return text + t.later;
    }
    if (s.paused) return t.connected;
    if (previous && previous.ticket) return t.closed(previous.ticket);
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

  function send(text, shown, language) {
    text = String(text).trim();
    if (!text) return;
    var node = bubble("citizen", shown || text);
    node.classList.add("pending");
    log.appendChild(node);
    scrollToEnd();
    var item = { clientId: randomId(), text: text, shown: shown || text, el: node, id: null, before: state.last, language: language || null };
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
          if (item.language) body.language = item.language;
          response = await postJson(API + "/messages", body);
        } catch (e) {
          if (attempt < RETRY_DELAYS.length) {
            await sleep(RETRY_DELAYS[attempt]);
            continue;
          }
          return failed(item, T().errors.network, true);
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
      return failed(item, T().errors.other, true);
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
    var row = make("p", "retry", T().notSent);
    var again = make("button", "retry-button", T().retry);
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
      note.textContent = T().thanks;
      if (data.offer_handoff && !box.querySelector(".handoff-offer")) {
        var offer = make("button", "handoff-offer", T().person);
        offer.type = "button";
        offer.addEventListener("click", function () {
          offer.remove();
          send(T().handoff);
          input.focus();
        });
        box.appendChild(offer);
      }
    } catch (e) {
      up.setAttribute("aria-pressed", before[0]);
      down.setAttribute("aria-pressed", before[1]);
      showError(T().errors.feedback);
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
      showError(T().errors.network);
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
      showError(T().errors.empty);
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

  if (langSwitch) {
    langSwitch.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-lang]");
      if (button) switchLanguage(button.getAttribute("data-lang"));
    });
  }

  applyLanguage();
  resume();
})();
