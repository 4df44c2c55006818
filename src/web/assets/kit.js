// mednum-kit: progressive enhancement only. Every page works without this file.
// "Écouter" reads a step aloud with the browser's speech synthesis, where it exists.
(function () {
  "use strict";
  var synth = window.speechSynthesis;
  if (!synth || typeof window.SpeechSynthesisUtterance !== "function") return;
  var buttons = document.querySelectorAll("button.listen[data-target]");
  Array.prototype.forEach.call(buttons, function (button) {
    var label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", function () {
      var speaking = button.getAttribute("aria-pressed") === "true";
      synth.cancel();
      Array.prototype.forEach.call(buttons, function (b) {
        b.setAttribute("aria-pressed", "false");
      });
      buttons.forEach(function (b) { b.textContent = b === button && !speaking ? b.dataset.stop : label; });
      if (speaking) return;
      var target = document.getElementById(button.dataset.target);
      if (!target) return;
      var utterance = new window.SpeechSynthesisUtterance(target.innerText);
      utterance.lang = button.dataset.lang === "fr" ? "fr-FR" : button.dataset.lang;
      utterance.rate = 0.9;
      utterance.onend = function () {
        button.setAttribute("aria-pressed", "false");
        button.textContent = label;
      };
      button.setAttribute("aria-pressed", "true");
      synth.speak(utterance);
    });
  });
})();
