/**
 * The page's only script, inlined under the CSP nonce. The page works without it; with it,
 * the runs list refreshes every 5 s while an import is queued or running and stops when
 * none is, and a run's page reloads once its run is done. Rows are rebuilt with textContent
 * from the JSON's display strings (src/admin/runs-view.ts), never with innerHTML.
 */
export const REFRESH_SCRIPT = `"use strict";
(function () {
  var EVERY_MS = 5000;
  var watch = document.body.getAttribute("data-refresh") || "";
  var note = document.getElementById("refresh-note");
  function say(text) { if (note) note.textContent = text; }
  var COLUMNS = ["kind", "file", "status", "progress", "counts", "started", "duration", "errors"];

  function renderRuns(table, rows) {
    var body = document.createElement("tbody");
    if (rows.length === 0) {
      var empty = body.insertRow();
      empty.className = "empty";
      var cell = empty.insertCell();
      cell.colSpan = COLUMNS.length + 1;
      cell.textContent = "No import runs yet.";
    }
    rows.forEach(function (r) {
      var tr = body.insertRow();
      tr.className = "st-" + r.status;
      tr.setAttribute("data-run-id", String(r.id));
      tr.setAttribute("data-status", r.status);
      var link = document.createElement("a");
      link.href = r.href;
      link.textContent = "#" + r.id;
      tr.insertCell().appendChild(link);
      COLUMNS.forEach(function (k) {
        var td = tr.insertCell();
        td.className = k;
        td.textContent = r[k];
      });
    });
    table.replaceChild(body, table.tBodies[0]);
  }

  function poll(url, onData) {
    setTimeout(function () {
      fetch(url, { credentials: "same-origin", cache: "no-store",
        headers: { Accept: "application/json" } })
        .then(function (res) {
          if (res.status === 401) { location.href = "/admin/login"; return null; }
          if (!res.ok) throw new Error("HTTP " + res.status);
          return res.json();
        })
        .then(function (data) {
          if (data === null) return;
          if (onData(data)) poll(url, onData);
        })
        .catch(function (err) {
          say("Refresh failed (" + err.message + "); trying again in 5 s.");
          poll(url, onData);
        });
    }, EVERY_MS);
  }

  if (watch === "runs") {
    var table = document.getElementById("runs");
    if (!table || table.getAttribute("data-active") !== "true") return;
    say("Refreshing every 5 s while an import is queued or running.");
    poll("/admin/runs.json", function (data) {
      renderRuns(table, data.rows);
      table.setAttribute("data-active", String(data.active));
      if (data.active) return true;
      say("Every import is done; refreshing stopped.");
      return false;
    });
  } else if (watch.indexOf("run:") === 0) {
    var id = watch.slice(4);
    say("This run is in progress; the page reloads when it ends.");
    poll("/admin/runs/" + id + "/status.json", function (row) {
      if (row.active) return true;
      location.reload();
      return false;
    });
  }
})();
`;
