// index.html's sizing calculator: `poolbench plan`'s models ported line by line
// (src/analysis/plan.cpp make_plan, src/analysis/queueing.cpp erlang_c and
// erlang_c_smallest_servers, src/analysis/sizing.cpp split_with_headroom, split_total,
// traffic_tier), fed by one cell's measured mean hold time as plan's --query-time. The
// test tests/cli/check_report_calculator.py holds the two to the same answers.
// Inputs: the form, or the URL fragment #calc?rps=500&instances=4&... (keys in README.md,
// "How to read the report"). Plain ES2017, no network; errors go to window.onerror.
(function () {
  'use strict';

  var data = JSON.parse(document.getElementById('calc').getAttribute('data-calc'));
  var k_slo_wait_quantile = 0.01;
  var k_max_servers = 100000;
  // Fragment key -> form field; every duration rounds to whole microseconds as plan's
  // flags do (util::parse_duration).
  var FIELDS = ['cell', 'rps', 'instances', 'max_connections', 'superuser_reserved',
    'reserved', 'timeout_rate', 'p99_ms', 'pool_timeout_s', 'request_ms', 'queries'];

  // --- Erlang C (queueing.cpp) ---
  function nextB(k, a, previous) {
    return a * previous / (k + a * previous);
  }
  function erlangFromB(c, rate, hold, a, b) {
    var q = { servers: c, rate: rate, hold: hold, offered: a, occupancy: a / c, b: b,
      stable: a < c, pWait: 1, meanWait: Infinity };
    if (!q.stable) return q;
    q.pWait = c * b / (c - a * (1 - b));
    q.meanWait = q.pWait * hold / (c - a);
    return q;
  }
  function pWaitLonger(q, t) {
    if (!q.stable) return 1;
    if (t <= 0) return q.pWait;
    return q.pWait * Math.exp(-(q.servers - q.offered) * t / q.hold);
  }
  function overloadLossFloor(q) {
    if (q.stable || q.offered <= 0) return 0;
    return 1 - q.servers / q.offered;
  }
  function erlangC(c, rate, hold) {
    var a = rate * hold;
    var b = 1;
    for (var k = 1; k <= c; ++k) b = nextB(k, a, b);
    return erlangFromB(c, rate, hold, a, b);
  }
  function smallestServers(rate, hold, target) {
    var a = rate * hold;
    var b = 1;
    for (var c = 1; c <= k_max_servers; ++c) {
      b = nextB(c, a, b);
      if (a >= c) continue;
      var q = erlangFromB(c, rate, hold, a, b);
      if (target.maxPWait !== undefined && q.pWait > target.maxPWait) continue;
      if (target.maxPWaitLonger !== undefined &&
          pWaitLonger(q, target.waitLimit) > target.maxPWaitLonger) continue;
      return c;
    }
    return null;
  }

  // --- the seeds' rules (sizing.cpp) ---
  function splitTotal(total) {
    total = Math.max(total, 1);
    var pool = Math.max(1, Math.round(total * 2.0 / 3.0));
    return { pool_size: pool, max_overflow: total - pool, total: total };
  }
  function splitWithHeadroom(needed) {
    return splitTotal(Math.ceil(Math.max(needed, 0) * 1.2 - 1e-9));
  }
  function trafficTier(rps) {
    if (rps < 10) return 'low';
    if (rps <= 50) return 'medium';
    if (rps <= 200) return 'high';
    return 'very_high';
  }
  function tierRow(rps) {
    var name = trafficTier(rps);
    for (var i = 0; i < data.tiers.length; ++i) {
      if (data.tiers[i].name === name) return data.tiers[i];
    }
    return data.tiers[data.tiers.length - 1];
  }

  // --- make_plan (plan.cpp) ---
  function addErlang(plan, inp) {
    plan.servers_for_timeouts = smallestServers(plan.instance_rps, plan.hold_s,
      { maxPWaitLonger: inp.timeout_rate, waitLimit: plan.pool_timeout_s });
    plan.servers = plan.servers_for_timeouts;
    plan.servers_for_slo = null;
    if (inp.slo_p99_s === null) return;
    var headroom = inp.slo_p99_s - plan.request_time_s;
    var slo = headroom > 0 ? { maxPWaitLonger: k_slo_wait_quantile, waitLimit: headroom }
      : { maxPWait: k_slo_wait_quantile };
    plan.servers_for_slo = smallestServers(plan.instance_rps, plan.hold_s, slo);
    if (plan.servers_for_slo === null) {
      plan.servers = null;
    } else if (plan.servers !== null) {
      plan.servers = Math.max(plan.servers, plan.servers_for_slo);
    }
  }
  function makePlan(inp) {
    var plan = { hold_s: inp.queries * inp.query_time_s };
    plan.request_time_s = inp.request_time_s !== null ? inp.request_time_s : plan.hold_s;
    plan.concurrency = inp.rps * plan.request_time_s;
    plan.instance_rps = inp.rps / inp.instances;
    plan.instance_concurrency = plan.concurrency / inp.instances;
    plan.connections_needed = plan.instance_concurrency * plan.hold_s / plan.request_time_s;
    plan.seeds = splitWithHeadroom(plan.connections_needed);
    plan.tier = tierRow(plan.instance_rps);
    plan.pool_timeout_s = inp.pool_timeout_s !== null ? inp.pool_timeout_s
      : plan.tier.pool_timeout_s;
    addErlang(plan, inp);
    plan.recommended = plan.seeds;
    plan.basis = 'seeds_formula';
    if (plan.servers !== null && plan.servers > plan.seeds.total) {
      plan.recommended = splitTotal(plan.servers);
      plan.basis = 'erlang_c';
    }
    plan.erlang = erlangC(plan.recommended.total, plan.instance_rps, plan.hold_s);
    plan.sum_rule_holds = plan.recommended.total >= plan.instance_concurrency;
    plan.budget_needed = inp.instances * plan.recommended.total;
    plan.budget_available = inp.max_connections - inp.superuser_reserved - inp.reserved;
    plan.budget_fits = plan.budget_needed <= plan.budget_available;
    return plan;
  }

  // --- inputs: fragment <-> form, checked as plan's check_inputs ---
  function fragmentValues() {
    var hash = window.location.hash;
    var at = hash.indexOf('?');
    var values = {};
    if (hash.indexOf('#calc') !== 0 || at < 0) return values;
    hash.substring(at + 1).split('&').forEach(function (pair) {
      if (pair === '') return;
      var eq = pair.indexOf('=');
      var key = decodeURIComponent(eq < 0 ? pair : pair.substring(0, eq));
      values[key] = eq < 0 ? '' : decodeURIComponent(pair.substring(eq + 1).replace(/\+/g, ' '));
    });
    return values;
  }
  function field(name) {
    return document.getElementById('calc-' + name);
  }
  function InputProblem(key, expected) {
    this.message = key + ': expected ' + expected;
  }
  function number(key, text, ok, expected) {
    var value = Number(text);
    if (text.trim() === '' || !isFinite(value) || !ok(value)) throw new InputProblem(key, expected);
    return value;
  }
  function integer(key, minimum) {
    var text = field(key).value;
    return number(key, text, function (v) { return Number.isInteger(v) && v >= minimum; },
      'an integer >= ' + minimum + ', got \'' + text + '\'');
  }
  // Milliseconds or seconds -> seconds of whole microseconds (> 0), or null when empty.
  function duration(key, unit_us) {
    var text = field(key).value;
    if (text.trim() === '') return null;
    var us = Math.round(number(key, text, function (v) { return v > 0; },
      'a number > 0, got \'' + text + '\'') * unit_us);
    if (us < 1) throw new InputProblem(key, 'at least 1 microsecond, got \'' + text + '\'');
    return us / 1e6;
  }
  function readInputs() {
    var cell = data.cells[Number(field('cell').value)];
    var rate = field('timeout_rate').value;
    return {
      cell: cell,
      rps: number('rps', field('rps').value, function (v) { return v > 0; },
        'requests per second > 0, got \'' + field('rps').value + '\''),
      query_time_s: cell.hold_us / 1e6,
      queries: integer('queries', 1),
      request_time_s: duration('request_ms', 1000),
      instances: integer('instances', 1),
      max_connections: integer('max_connections', 1),
      superuser_reserved: integer('superuser_reserved', 0),
      reserved: integer('reserved', 0),
      slo_p99_s: duration('p99_ms', 1000),
      timeout_rate: number('timeout_rate', rate, function (v) { return v > 0 && v < 1; },
        'a fraction between 0 and 1 (exclusive), got \'' + rate + '\''),
      pool_timeout_s: duration('pool_timeout_s', 1e6),
    };
  }

  // --- output ---
  function ms(s) {
    var v = s * 1000;
    return (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toPrecision(3)) + ' ms';
  }
  function prob(p) {
    return p === 0 ? '0' : p.toPrecision(3);
  }
  function pct(f) {
    return (f * 100).toPrecision(3).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '') + '%';
  }
  function line(parent, text, cls) {
    var p = document.createElement('p');
    if (cls) p.className = cls;
    p.textContent = text;
    parent.appendChild(p);
    return p;
  }
  function holdLine(inp) {
    var c = inp.cell;
    var mean_ms = c.hold_us / 1000;
    var text = 'cell ' + c.label + ': mean hold ' + ms(inp.query_time_s);
    if (c.hold_p50_ms !== null && c.hold_p99_ms !== null) {
      text += ', p50 ' + ms(c.hold_p50_ms / 1000) + ', p99 ' + ms(c.hold_p99_ms / 1000) +
        ' (p99 = ' + (c.hold_p99_ms / mean_ms).toFixed(1) + ' x mean; Erlang C assumes ' +
        'exponential holds, whose p99 is 4.6 x mean: a longer tail waits more than predicted)';
    }
    if (c.status !== 'ok') text += '; this cell is ' + c.status + ', its numbers are doubtful';
    return text + '.';
  }
  function erlangLine(plan, inp) {
    var text = 'Erlang C per instance (' + plan.instance_rps.toPrecision(4) + ' req/s x ' +
      ms(plan.hold_s) + ' = ' + (plan.instance_rps * plan.hold_s).toPrecision(3) +
      ' erlangs): ' + (plan.servers_for_timeouts === null ? 'no number of'
        : plan.servers_for_timeouts) + ' connections keep P(wait > ' + plan.pool_timeout_s +
      ' s) <= ' + inp.timeout_rate;
    if (inp.slo_p99_s !== null) {
      text += '; ' + (plan.servers_for_slo === null ? 'none' : plan.servers_for_slo) +
        ' keep the p99 checkout wait within the p99 SLO ' + ms(inp.slo_p99_s);
    }
    return text + '.';
  }
  function predictionLine(plan) {
    var q = plan.erlang;
    if (!q.stable) {
      return 'Erlang C: overloaded: at least ' + pct(overloadLossFloor(q)) +
        ' of requests time out.';
    }
    return 'Predicted per instance: P(wait) ' + q.pWait.toFixed(4) + ', mean wait ' +
      ms(q.meanWait) + ', P(timeout) ' + prob(pWaitLonger(q, plan.pool_timeout_s)) +
      ', occupancy ' + pct(q.occupancy) + '.';
  }
  function budgetLine(plan, inp) {
    var r = plan.recommended;
    var text = inp.instances + ' instance(s) x (pool_size ' + r.pool_size + ' + max_overflow ' +
      r.max_overflow + ') = ' + plan.budget_needed + ' connections ';
    if (plan.budget_fits) {
      return text + 'fit in the ' + plan.budget_available + ' that max_connections ' +
        inp.max_connections + ' leaves for applications (' +
        (plan.budget_available - plan.budget_needed) + ' spare).';
    }
    var per = Math.floor(Math.max(plan.budget_available, 0) / inp.instances);
    text += 'do NOT fit in the ' + plan.budget_available + ' that max_connections ' +
      inp.max_connections + ' leaves for applications: at most ' + per +
      ' per instance, or raise max_connections to at least ' +
      (plan.budget_needed + inp.superuser_reserved + inp.reserved) + '.';
    if (per >= 1) {
      var q = erlangC(per, plan.instance_rps, plan.hold_s);
      text += ' With ' + per + ' per instance Erlang C predicts ' + (q.stable
        ? 'P(timeout) ' + prob(pWaitLonger(q, plan.pool_timeout_s))
        : 'overload: at least ' + pct(overloadLossFloor(q)) + ' time out') + '.';
    }
    return text;
  }
  function show(result, plan, inp) {
    var r = plan.recommended;
    var head = line(result, '', 'calc-answer');
    var strong = document.createElement('b');
    strong.textContent = 'pool_size ' + r.pool_size + ' + max_overflow ' + r.max_overflow +
      ' = ' + r.total;
    head.appendChild(strong);
    head.appendChild(document.createTextNode(' per instance, pool_timeout ' +
      plan.pool_timeout_s + ' s (' + (plan.basis === 'erlang_c'
      ? 'raised to the Erlang C size' : 'the seeds\' formula with 20% headroom') + ')'));
    line(result, holdLine(inp));
    line(result, 'Seeds\' formula: ' + plan.instance_concurrency.toPrecision(4) +
      ' concurrent x ' + ms(plan.hold_s) + ' / ' + ms(plan.request_time_s) + ' = ' +
      plan.connections_needed.toPrecision(4) + ' connections per instance, + 20%: ' +
      plan.seeds.pool_size + ' + ' + plan.seeds.max_overflow + '.');
    line(result, erlangLine(plan, inp));
    line(result, predictionLine(plan));
    line(result, 'Sum rule: ' + r.total + (plan.sum_rule_holds ? ' >= ' : ' < ') +
      plan.instance_concurrency.toPrecision(4) + ' concurrent requests' +
      (plan.sum_rule_holds ? '.' : ' (not met: enough only when a request holds its ' +
        'connection just while its queries run).'));
    line(result, budgetLine(plan, inp), plan.budget_fits ? '' : 'calc-warn');
    if (plan.servers === null) {
      line(result, 'Erlang C: no pool of up to 100000 connections meets the targets.',
        'calc-warn');
    }
    var attrs = { status: 'ok', cell: inp.cell.label, hold_us: inp.cell.hold_us,
      pool_size: r.pool_size, max_overflow: r.max_overflow, total: r.total, basis: plan.basis,
      pool_timeout_s: plan.pool_timeout_s, seeds_pool_size: plan.seeds.pool_size,
      seeds_max_overflow: plan.seeds.max_overflow,
      servers_for_timeouts: plan.servers_for_timeouts, servers_for_slo: plan.servers_for_slo,
      servers: plan.servers, budget_needed: plan.budget_needed,
      budget_available: plan.budget_available, budget_fits: plan.budget_fits };
    Object.keys(attrs).forEach(function (key) {
      result.setAttribute('data-' + key.replace(/_/g, '-'), String(attrs[key]));
    });
  }

  function fragmentFromForm() {
    var parts = [];
    FIELDS.forEach(function (key) {
      var value = key === 'cell' ? data.cells[Number(field('cell').value)].label
        : field(key).value.trim();
      if (value !== '') parts.push(key + '=' + encodeURIComponent(value));
    });
    return '#calc?' + parts.join('&');
  }
  function update() {
    var result = document.getElementById('calc-result');
    while (result.firstChild) result.removeChild(result.firstChild);
    Array.prototype.slice.call(result.attributes).forEach(function (a) {
      if (a.name.indexOf('data-') === 0) result.removeAttribute(a.name);
    });
    var link = fragmentFromForm();
    document.getElementById('calc-link').setAttribute('href', link);
    try {
      var inp = readInputs();
      show(result, makePlan(inp), inp);
    } catch (e) {
      if (!(e instanceof InputProblem)) throw e;
      result.setAttribute('data-status', 'error');
      result.setAttribute('data-message', e.message);
      line(result, e.message, 'calc-warn');
    }
  }
  function fill() {
    var values = fragmentValues();
    var select = field('cell');
    while (select.firstChild) select.removeChild(select.firstChild);
    data.cells.forEach(function (cell, i) {
      var option = document.createElement('option');
      option.value = String(i);
      option.textContent = cell.label + ' (mean hold ' + (cell.hold_us / 1000) + ' ms)';
      select.appendChild(option);
    });
    var problems = [];
    FIELDS.forEach(function (key) {
      var given = Object.prototype.hasOwnProperty.call(values, key);
      if (key === 'cell') {
        var index = 0;
        if (given) {
          index = data.cells.findIndex(function (c) { return c.label === values.cell; });
          if (index < 0) problems.push('cell: no cell labelled \'' + values.cell + '\'');
        }
        select.value = String(Math.max(index, 0));
        return;
      }
      var start = given ? values[key] : data.defaults[key];
      field(key).value = start === undefined || start === null ? '' : String(start);
    });
    Object.keys(values).forEach(function (key) {
      if (FIELDS.indexOf(key) < 0) problems.push(key + ': not a calculator key');
    });
    return problems;
  }

  var form = document.getElementById('calc');
  if (data.cells.length === 0) {
    form.hidden = true;
    line(document.getElementById('calc-result'), 'No cell measured a hold time.');
    document.getElementById('calc-result').setAttribute('data-status', 'no-cells');
    return;
  }
  var problems = fill();
  form.addEventListener('input', update);
  form.addEventListener('change', update);
  window.addEventListener('hashchange', function () {
    if (window.location.hash.indexOf('#calc') === 0) { fill(); update(); }
  });
  update();
  if (problems.length > 0) {
    var result = document.getElementById('calc-result');
    result.setAttribute('data-status', 'error');
    result.setAttribute('data-message', problems.join('; '));
    problems.forEach(function (p) { line(result, p, 'calc-warn'); });
  }
})();
