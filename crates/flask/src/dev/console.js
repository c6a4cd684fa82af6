// The debug page's console: unlocks with the PIN, then sends each line to the server,
// which evaluates it against the failing request's snapshot.
(function () {
  "use strict";
  var root = document.getElementById("console");
  if (!root) return;
  var snapshot = root.dataset.snapshot;
  var secret = root.dataset.secret;
  var pinForm = document.getElementById("console-pin");
  var pinMessage = document.getElementById("console-pin-message");
  var prompt = document.getElementById("console-prompt");
  var ps1 = document.getElementById("console-ps1");
  var output = document.getElementById("console-output");
  var input = prompt.elements.cmd;
  var history = [];
  var back = 0;

  function post(path, fields) {
    var body = new URLSearchParams(fields);
    body.set("s", secret);
    return fetch("/__debugger__/" + path, {
      method: "POST",
      body: body,
      credentials: "same-origin",
    }).then(function (resp) {
      return resp.json().catch(function () {
        return { error: "the server answered " + resp.status };
      });
    });
  }

  function show(text, className) {
    var line = document.createElement("span");
    if (className) line.className = className;
    line.textContent = text + "\n";
    output.appendChild(line);
    output.scrollTop = output.scrollHeight;
  }

  function unlocked() {
    pinForm.hidden = true;
    prompt.hidden = false;
    input.focus();
  }

  pinForm.addEventListener("submit", function (event) {
    event.preventDefault();
    pinMessage.textContent = "checking...";
    post("pinauth", { pin: pinForm.elements.pin.value }).then(function (answer) {
      if (answer.auth) {
        pinMessage.textContent = "";
        unlocked();
      } else {
        pinMessage.textContent = answer.error || "wrong PIN";
        pinForm.elements.pin.value = "";
        if (answer.exhausted) pinForm.elements.pin.disabled = true;
      }
    });
  });

  prompt.addEventListener("submit", function (event) {
    event.preventDefault();
    var line = input.value;
    input.value = "";
    if (line.trim()) history.push(line);
    back = 0;
    show(ps1.textContent + " " + line);
    post("console", { snapshot: snapshot, cmd: line }).then(function (answer) {
      if (answer.error) {
        show(answer.error, "error");
      } else if (answer.output !== null && answer.output !== undefined) {
        show(answer.output, "result");
      }
      ps1.textContent = answer.more ? "..." : ">>>";
      if (answer.error && /locked/.test(answer.error)) {
        prompt.hidden = true;
        pinForm.hidden = false;
      }
    });
  });

  input.addEventListener("keydown", function (event) {
    if (event.key === "ArrowUp" && back < history.length) {
      back += 1;
    } else if (event.key === "ArrowDown" && back > 0) {
      back -= 1;
    } else {
      return;
    }
    event.preventDefault();
    input.value = back === 0 ? "" : history[history.length - back];
  });

  if (root.dataset.locked === "false") unlocked();
})();
