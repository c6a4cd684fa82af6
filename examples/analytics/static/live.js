// The live panel: the `sales` room as server-sent events. EventSource reconnects by
// itself, sending the last event's id, and the server replays what was missed.
(function () {
  var script = document.currentScript;
  var source = new EventSource(script.getAttribute("data-stream"));
  var status = document.getElementById("live-status");
  var list = document.getElementById("live-sales");
  var count = document.getElementById("live-count");
  var revenue = document.getElementById("live-revenue");
  var total = 0;
  var n = 0;
  source.onopen = function () {
    status.textContent = "live";
    status.className = "status on";
  };
  source.onerror = function () {
    status.textContent = "reconnecting…";
    status.className = "status";
  };
  source.addEventListener("sale", function (e) {
    var sale = JSON.parse(e.data);
    n += 1;
    total += sale.amount;
    count.textContent = String(n);
    revenue.textContent = total.toFixed(2);
    var item = document.createElement("li");
    item.className = "new";
    item.textContent = sale.category + " · " + sale.region + " · ";
    var amount = document.createElement("b");
    amount.textContent = sale.amount.toFixed(2);
    item.appendChild(amount);
    list.insertBefore(item, list.firstChild);
    while (list.children.length > 12) {
      list.removeChild(list.lastChild);
    }
  });
  source.addEventListener("close", function () {
    status.textContent = "server restarting…";
  });
})();
