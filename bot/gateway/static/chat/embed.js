/* Bürgerservice-Bot Jena – chat for other websites. One line on the host page:
 *   <script src="https://GATEWAY/static/chat/embed.js" defer></script>
 * adds a floating button "Fragen Sie den Bürgerservice-Bot" that opens the chat (GATEWAY/embed) in
 * an iframe. Styles are set through the DOM (no inline <style>), so a strict host CSP is respected.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__jenabotEmbed) return;
  window.__jenabotEmbed = true;
  var origin = new URL(script.src, window.location.href).origin;
  var LABEL = "Fragen Sie den Bürgerservice-Bot";
  var BLUE = "#00508c";

  function css(node, styles) {
    Object.keys(styles).forEach(function (k) { node.style[k] = styles[k]; });
    return node;
  }

  var launcher = css(document.createElement("button"), {
    position: "fixed", right: "16px", bottom: "16px", zIndex: "2147483000",
    padding: "12px 18px", minHeight: "44px", maxWidth: "calc(100vw - 32px)",
    font: "600 16px/1.3 system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif",
    color: "#ffffff", background: BLUE, border: "2px solid #ffffff", borderRadius: "24px",
    boxShadow: "0 2px 8px rgba(0,0,0,.35)", cursor: "pointer"
  });
  launcher.type = "button";
  launcher.textContent = LABEL;
  launcher.setAttribute("aria-expanded", "false");
  launcher.setAttribute("aria-controls", "jenabot-chat-panel");

  var panel = null;

  function focusRing(node) {
    node.addEventListener("focus", function () { node.style.outline = "3px solid #b33c00"; node.style.outlineOffset = "2px"; });
    node.addEventListener("blur", function () { node.style.outline = ""; });
  }
  focusRing(launcher);

  function build() {
    panel = css(document.createElement("div"), {
      position: "fixed", right: "16px", bottom: "76px", zIndex: "2147483000",
      width: "min(400px, calc(100vw - 32px))", height: "min(600px, calc(100vh - 100px))",
      display: "flex", flexDirection: "column", background: "#ffffff",
      border: "2px solid " + BLUE, borderRadius: "10px", boxShadow: "0 4px 16px rgba(0,0,0,.35)", overflow: "hidden"
    });
    panel.id = "jenabot-chat-panel";
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-label", "Chat mit dem Bürgerservice-Bot Jena");

    var close = css(document.createElement("button"), {
      alignSelf: "flex-end", margin: "4px", padding: "6px 12px", minHeight: "36px",
      font: "600 15px/1.2 system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif",
      color: BLUE, background: "#ffffff", border: "2px solid " + BLUE, borderRadius: "6px", cursor: "pointer"
    });
    close.type = "button";
    close.textContent = "Chat schließen";
    close.addEventListener("click", hide);
    focusRing(close);

    var frame = css(document.createElement("iframe"), { flex: "1", width: "100%", border: "0" });
    frame.src = origin + "/embed";
    frame.title = "Chat mit dem Bürgerservice-Bot Jena";
    frame.addEventListener("load", function () { if (panel.style.display !== "none") frame.focus(); });

    panel.appendChild(close);
    panel.appendChild(frame);
    panel.addEventListener("keydown", function (event) { if (event.key === "Escape") hide(); });
    document.body.appendChild(panel);
  }

  function show() {
    if (!panel) build();
    panel.style.display = "flex";
    launcher.setAttribute("aria-expanded", "true");
    panel.querySelector("iframe").focus();
  }

  function hide() {
    if (!panel) return;
    panel.style.display = "none";
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  }

  launcher.addEventListener("click", function () {
    if (launcher.getAttribute("aria-expanded") === "true") hide(); else show();
  });

  // Escape inside the chat: the iframe asks us to close (only messages from the gateway count).
  window.addEventListener("message", function (event) {
    if (event.origin === origin && event.data && event.data.type === "jenabot-close") hide();
  });

  function mount() { document.body.appendChild(launcher); }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
