// The status page's CSS and JavaScript as raw strings: served inline with the page, so
// nothing is fetched from outside the machine (no CDN, no framework).

#include "front/detail/status_assets.h"

namespace connswap::front::detail {

const std::string_view kStatusCss = R"css(
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#1d2330;background:#fafbfc}
h1{font-size:1.4em;margin:0 0 .2em}h2{font-size:1.1em;margin:1.4em 0 .4em}
table{border-collapse:collapse;background:#fff;box-shadow:0 1px 2px #0002}
th,td{padding:.3em .7em;border-bottom:1px solid #e3e6ea;text-align:left;vertical-align:top}
th{background:#eef1f4;cursor:pointer;white-space:nowrap}th a{color:inherit}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.health{font-weight:600}.h-healthy{color:#1a7f37}.h-lost,.h-failed-hold{color:#cf222e}
.h-draining,.h-unavailable{color:#9a6700}
tr.h-lost td,tr.h-failed-hold td{background:#fff1f0}
.muted{color:#667}.mig{font-size:.9em}
#feed{list-style:none;padding:0;margin:0;max-height:18em;overflow:auto;font:12px monospace}
#feed li{padding:.15em .4em;border-bottom:1px solid #eee}#feed li.migration{color:#8250df}
#feed li.worker{color:#9a6700}#feed li.gap{color:#0969da}
.cols{display:flex;gap:2em;flex-wrap:wrap}.cols>div{flex:1;min-width:22em}
)css";

// Sorts tables in place on a header click, refreshes the tables and the chart from the
// server (the same page, parsed), and shows /debug/events as a live feed.
const std::string_view kStatusJs = R"js(
(function(){
  'use strict';
  var sortState = {};
  function cellValue(td){
    var v = td.getAttribute('data-value');
    return v !== null ? parseFloat(v) : td.textContent.trim();
  }
  function sortTable(table, col, desc){
    var body = table.tBodies[0]; if(!body) return;
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function(a,b){
      var x = cellValue(a.cells[col]), y = cellValue(b.cells[col]);
      var r = (typeof x === 'number' && typeof y === 'number') ? x - y : String(x).localeCompare(String(y));
      return desc ? -r : r;
    });
    rows.forEach(function(r){ body.appendChild(r); });
  }
  function wireSort(){
    document.querySelectorAll('table.sortable').forEach(function(table){
      table.querySelectorAll('th').forEach(function(th, col){
        th.addEventListener('click', function(ev){
          ev.preventDefault();
          var s = sortState[table.id];
          var desc = s && s.col === col ? !s.desc : th.hasAttribute('data-num');
          sortState[table.id] = {col: col, desc: desc};
          sortTable(table, col, desc);
        });
      });
      var s = sortState[table.id];
      if(s){ sortTable(table, s.col, s.desc); }
    });
  }
  var refreshing = false, again = false;
  function refresh(){
    if(refreshing){ again = true; return; }
    refreshing = true;
    fetch(location.pathname + location.search, {cache: 'no-store'}).then(function(r){ return r.text(); })
      .then(function(html){
        var doc = new DOMParser().parseFromString(html, 'text/html');
        ['tables','gaps','summary'].forEach(function(id){
          var now = document.getElementById(id), next = doc.getElementById(id);
          if(now && next){ now.innerHTML = next.innerHTML; }
        });
        wireSort();
        document.body.setAttribute('data-refreshed', String(Date.now()));
      }).catch(function(){}).then(function(){
        refreshing = false;
        if(again){ again = false; setTimeout(refresh, 200); }
      });
  }
  function feedLine(kind, d){
    if(kind === 'migration') return 'migration ' + d.connection_id + '/' + d.stream_id + ': ' + d.from + ' \u2192 ' + d.to + ' (' + d.reason + ')';
    if(kind === 'gap') return 'failover gap ' + d.connection_id + '/' + d.stream_id + ': ' + d.from + ' \u2192 ' + d.to + ' ' + d.gap_ms.toFixed(1) + ' ms';
    return 'worker ' + d.worker + ': ' + d.from + ' \u2192 ' + d.to;
  }
  function addFeed(kind, ev){
    var d; try { d = JSON.parse(ev.data); } catch(e){ return; }
    var list = document.getElementById('feed');
    var li = document.createElement('li');
    li.className = kind;
    li.setAttribute('data-kind', kind);
    li.textContent = new Date().toLocaleTimeString() + '  ' + feedLine(kind, d);
    list.insertBefore(li, list.firstChild);
    while(list.children.length > 200){ list.removeChild(list.lastChild); }
    var empty = document.getElementById('feed-empty'); if(empty){ empty.remove(); }
    refresh();
  }
  wireSort();
  if(window.EventSource){
    var es = new EventSource('/debug/events');
    ['migration','gap','worker'].forEach(function(kind){
      es.addEventListener(kind, function(ev){ addFeed(kind, ev); });
    });
    es.onopen = function(){ document.body.setAttribute('data-feed', 'open'); };
  }
  setInterval(refresh, 5000);
})();
)js";

}  // namespace connswap::front::detail
