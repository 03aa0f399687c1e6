// Mitarbeiter-Konsole, Posteingang: live hints about new and overdue tickets and citizens' replies (Server-Sent
// Events from /api/staff/events), countdowns to deadlines, and canned replies inserted into the reply box.
// No inline script (CSP); text from the server is only ever set with textContent, links are built with createElement.
(function () {
  "use strict";
  var TICK_SECONDS = 15;
  var attention = document.getElementById("attention");
  var notice = document.getElementById("live-notice");
  var baseTitle = document.title;

  // --- the server's clock: deadlines are counted against it, not the browser's -----------------------
  var offset = 0;
  var anyNow = document.querySelector("[data-now]");
  if (anyNow) {
    var serverNow = Date.parse(anyNow.getAttribute("data-now"));
    if (!isNaN(serverNow)) offset = serverNow - Date.now();
  }

  function duration(seconds) {
    var minutes = Math.floor(seconds / 60);
    if (minutes < 1) return "unter 1 Min.";
    if (minutes < 60) return minutes + " Min.";
    var hours = Math.floor(minutes / 60), rest = minutes % 60;
    if (hours < 24) return rest ? hours + " Std. " + rest + " Min." : hours + " Std.";
    var days = Math.floor(hours / 24);
    return days === 1 ? "1 Tag" : days + " Tage";
  }

  function tick() {
    var now = Date.now() + offset;
    Array.prototype.forEach.call(document.querySelectorAll("[data-due]"), function (el) {
      if (el.hasAttribute("data-answered")) return;
      var due = Date.parse(el.getAttribute("data-due"));
      if (isNaN(due)) return;
      var left = Math.round((due - now) / 1000);
      el.textContent = left >= 0 ? "noch " + duration(left) : "seit " + duration(-left) + " überfällig";
      el.classList.toggle("overdue-text", left < 0);
    });
  }
  window.setInterval(tick, TICK_SECONDS * 1000);

  // --- live hints -----------------------------------------------------------------------------------
  function announce(text, ticketId) {
    if (!notice) return;
    var line = document.createElement("p");
    line.appendChild(document.createTextNode(text + " "));
    if (ticketId) {
      var link = document.createElement("a");
      link.href = "/staff/tickets/" + encodeURIComponent(ticketId);
      link.textContent = "Öffnen";
      line.appendChild(link);
    }
    notice.replaceChildren(line);
  }

  function showCounts(counts) {
    if (!attention) return;
    attention.hidden = false;
    attention.replaceChildren();
    attention.appendChild(document.createTextNode("Offen: " + counts.open + " · "));
    var overdue = document.createElement(counts.overdue ? "strong" : "span");
    overdue.textContent = "Überfällig: " + counts.overdue;
    attention.appendChild(overdue);
    attention.classList.toggle("has-overdue", counts.overdue > 0);
    document.title = (counts.overdue ? "(" + counts.overdue + " überfällig) " : "") + baseTitle;
  }

  function refreshPage() {
    document.dispatchEvent(new CustomEvent("jenabot:refresh"));
  }

  function parse(event) {
    try { return JSON.parse(event.data); } catch (e) { return null; }
  }

  if (window.EventSource) {
    var source = new EventSource("/api/staff/events");
    source.addEventListener("counts", function (event) {
      var counts = parse(event);
      if (counts) showCounts(counts);
    });
    source.addEventListener("ticket", function (event) {
      var t = parse(event);
      if (!t) return;
      announce("Neuer Vorgang " + t.number + " bei " + t.office_name + ": " + t.reason, t.id);
      refreshPage();
    });
    source.addEventListener("reply", function (event) {
      var t = parse(event);
      if (!t) return;
      announce("Neue Nachricht der Bürgerin oder des Bürgers zu Vorgang " + t.number + ". Der Bot antwortet darauf nicht.", t.id);
      refreshPage();
    });
    source.addEventListener("overdue", function (event) {
      var t = parse(event);
      if (!t) return;
      announce("Frist überschritten: Vorgang " + t.number + " (" + t.office_name + ").", t.id);
      refreshPage();
    });
  }

  // --- canned replies -------------------------------------------------------------------------------
  var cannedForm = document.getElementById("canned-form");
  var reply = document.getElementById("reply-text");
  if (cannedForm && reply) {
    cannedForm.addEventListener("submit", function (event) {
      var select = cannedForm.querySelector("select");
      var option = select && select.options[select.selectedIndex];
      if (!option) return; // without a choice the page's own form (?canned=ID) does it
      event.preventDefault();
      var text = option.getAttribute("data-text") || "";
      var start = reply.selectionStart, end = reply.selectionEnd;
      var before = reply.value.slice(0, start), after = reply.value.slice(end);
      var glue = before && !/\s$/.test(before) ? "\n\n" : "";
      reply.value = before + glue + text + after;
      var caret = (before + glue + text).length;
      reply.focus();
      reply.setSelectionRange(caret, caret);
      announce("Textbaustein „" + option.textContent + "“ eingefügt. Bitte prüfen Sie den Text vor dem Senden.");
    });
  }
})();
