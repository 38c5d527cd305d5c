"""Render a run's results as the Markdown tables of docs/benchmarks.md."""

from bench.profile import format_summary

QUERY_ORDER = ("full list", "exact match", "top 100 idle")


def _n(size) -> str:
    return f"{int(size):,}"


def _rate(result: dict) -> str:
    return f"{result['rate']:,.0f}/s"


def _cpu_ms(result: dict) -> float:
    """Return the server's CPU milliseconds per request, 0.0 where unknown."""
    if not result["requests"]:
        return 0.0
    return 1000 * result.get("server_cpu_seconds", 0.0) / result["requests"]


def _verdict(ok: bool | None) -> str:
    return {True: "met", False: "**missed**", None: "not measured"}[ok]


def _sizes(mapping: dict) -> list:
    return sorted(mapping, key=int)


def ceiling_rows(results: dict) -> list[str]:
    beats = results["heartbeat"]
    first = beats[_sizes(beats)[0]]
    framework, one_call = first["framework floor"], first["one-call floor"]
    redis_rate = results["redis_ceiling"]["rate"]
    size = _n(_sizes(beats)[0])
    return [
        f"| ceiling, {size} nodes | requests/s | p50 / p99 | server CPU | ratio |",
        "|---|---|---|---|---|",
        f"| framework floor (GET, small JSON) | {_rate(framework)} |"
        f" {framework['p50_ms']:.2f} / {framework['p99_ms']:.2f} ms |"
        f" {_cpu_ms(framework):.2f} ms | 1 |",
        f"| one-call floor (heartbeat.lua once, 204) | {_rate(one_call)} |"
        f" {one_call['p50_ms']:.2f} / {one_call['p99_ms']:.2f} ms |"
        f" {_cpu_ms(one_call):.2f} ms |"
        f" {one_call['rate'] / framework['rate']:.2f} x framework floor |",
        f"| Redis ceiling (redis-benchmark, EVALSHA heartbeat.lua) |"
        f" {redis_rate:,.0f}/s | - | - | {redis_rate / framework['rate']:.1f} x"
        " framework floor |",
    ]


def heartbeat_rows(results: dict) -> list[str]:
    beats = results["heartbeat"]
    redis_rate = results["redis_ceiling"]["rate"]
    sizes = _sizes(beats)
    first = beats[sizes[0]]
    first_share = first["registry"]["rate"] / first["one-call floor"]["rate"]
    rows = []
    for size in sizes:
        registry, one_call = beats[size]["registry"], beats[size]["one-call floor"]
        share = registry["rate"] / one_call["rate"]
        client_share = registry.get("client_cpu_seconds", 0) / registry["seconds"]
        cells = (
            f"{_rate(registry)}, p50 {registry['p50_ms']:.2f} ms, p99"
            f" {registry['p99_ms']:.2f} ms, {registry['errors']} errors, server CPU"
            f" {_cpu_ms(registry):.2f} ms a request (wrk used {client_share:.0%} of a"
            f" core); one-call floor {_rate(one_call)}, {_cpu_ms(one_call):.2f} ms"
        )
        measure = (
            f"{share:.2f} x one-call floor, {registry['rate'] / redis_rate:.3f} x Redis"
            " ceiling"
        )
        if _cpu_ms(registry):
            measure += (
                f"; by server CPU a request,"
                f" {_cpu_ms(one_call) / _cpu_ms(registry):.2f} x one-call floor"
            )
        if size == sizes[0]:
            target, verdict = ">= 0.9 x one-call floor", _verdict(share >= 0.9)
        elif size == sizes[-1]:
            change = registry["rate"] / first["registry"]["rate"]
            share_change = share / first_share
            measure += (
                f"; {change:.2f} x the {_n(sizes[0])} rate, {share_change:.2f} x its"
                " share of the one-call floor"
            )
            target = f"within 10% of the {_n(sizes[0])} figure"
            verdict = _verdict(share_change >= 0.9)
        else:
            target, verdict = "-", "-"
        rows.append(
            f"| heartbeats, {_n(size)} nodes | {cells} | {measure} | {target} |"
            f" {verdict} |"
        )
    return rows


def _ms(result: dict | None) -> str:
    if result is None:
        return "-"
    if not result["requests"]:
        return "none finished"
    return f"{result['p50_ms']:.1f} ms"


def _query_row(query: str, size, entry: dict, smallest: dict | None, last: bool):
    registry, peer = entry.get("registry"), entry["peer"]
    rows_text = f"{entry.get('registry_rows', '-')} / {entry['peer_rows']} rows"
    measured = f"{_ms(registry)} / {_ms(peer)} ({rows_text})"
    target = "faster than the peer"
    if query != "full list" and last:
        target += " and <= 1.3 x the smallest fleet"
    if not registry or not registry["requests"] or not peer["requests"]:
        return (
            f"| {query}, {_n(size)} nodes | {measured} | - | {target} | not measured |"
        )
    ratio = registry["p50_ms"] / peer["p50_ms"]
    measure, ok = f"{ratio:.2f} x peer", ratio < 1
    if query != "full list" and last and smallest and smallest["requests"]:
        growth = registry["p50_ms"] / smallest["p50_ms"]
        measure += f"; {growth:.2f} x the smallest fleet"
        ok = ok and growth <= 1.3
    return (
        f"| {query}, {_n(size)} nodes | {measured} | {measure} | {target} |"
        f" {_verdict(ok)} |"
    )


def list_rows(results: dict) -> list[str]:
    lists = results["lists"]
    sizes = _sizes(lists)
    rows = []
    for query in QUERY_ORDER:
        smallest = lists[sizes[0]][query].get("registry")
        for size in sizes:
            entry = lists[size][query]
            rows.append(_query_row(query, size, entry, smallest, size == sizes[-1]))
    return rows


def _p99(result: dict) -> str:
    if not result["requests"]:
        return "no heartbeat finished"
    return f"{result['p99_ms']:.1f} ms at {_rate(result)}, {result['errors']} errors"


def _dashboard_row(dash: dict) -> str:
    without, with_ = dash["without"], dash["with"]
    ratio = (
        f" ({with_['p99_ms'] / without['p99_ms']:.1f} x)"
        if with_["requests"] and without["requests"]
        else ""
    )
    return (
        f"| heartbeat p99 with {dash['count']} dashboards ({dash['driver']}) |"
        f" {_p99(with_)}; dashboards got {_rate(dash['dashboards'])} full lists |"
        f" without dashboards: {_p99(without)}{ratio} | stated | - |"
    )


def other_rows(results: dict) -> list[str]:
    rows = []
    lists = results["lists"]
    largest = _sizes(lists)[-1]
    paging = results.get("paging")
    if paging:
        whole = lists[largest]["full list"].get("registry")
        rows.append(
            f"| page through {_n(largest)} nodes, {paging['pages']} pages |"
            f" {paging['seconds']:.2f} s for {paging['nodes']:,} nodes"
            f" ({paging['distinct']:,} distinct) | one unpaginated list:"
            f" {_ms(whole)} | stated | - |"
        )
    if results.get("dashboards"):
        rows.append(_dashboard_row(results["dashboards"]))
    for size in _sizes(results["memory"]):
        memory = results["memory"][size]
        parts = ", ".join(
            f"{name} {value:.0f}" for name, value in memory["per_node_parts"].items()
        )
        rows.append(
            f"| Redis memory, {_n(size)} nodes | {memory['bytes_per_node']:.0f} B/node"
            f" | {parts} | stated | - |"
        )
    return rows


def consistency_notes(results: dict) -> list[str]:
    """Return notes where the registry and the peer disagree on what a query returns."""
    notes = []
    lists = results["lists"]
    sizes = _sizes(lists)
    for size in sizes:
        for query in QUERY_ORDER:
            entry = lists[size][query]
            if (
                "registry_rows" in entry
                and entry["registry_rows"] != entry["peer_rows"]
            ):
                notes.append(
                    f"{query} at {_n(size)} nodes: the registry returned"
                    f" {entry['registry_rows']} nodes and the peer {entry['peer_rows']}"
                )
    exact = [lists[size]["exact match"].get("registry_pks") for size in sizes]
    if all(exact) and any(pks != exact[0] for pks in exact):
        notes.append(
            "the exact-match query returned different nodes at different sizes"
        )
    return notes


def render(results: dict) -> str:
    machine = results["machine"]
    lines = [
        f"Run of {machine['date']} on {machine['cores']} cores ({machine['cpu_model']},"
        f" {machine['memory_gib']} GiB), commit {machine['commit']}"
        + (" with uncommitted changes" if machine["uncommitted_changes"] else "")
        + f", load average {machine['load_average_before']} before and"
        f" {machine.get('load_average_after')} after, {results.get('run_seconds')} s.",
        f"Heartbeat request: {results.get('heartbeat_request')}.",
        "",
        *ceiling_rows(results),
        "",
        "| scenario | measured (registry / peer) | ratio | target | result |",
        "|---|---|---|---|---|",
        *heartbeat_rows(results),
        *list_rows(results),
        *other_rows(results),
    ]
    for name, summary in results.get("profiles", {}).items():
        lines += ["", "```", format_summary(f"profile of {name}", summary), "```"]
    notes = results["notes"] + consistency_notes(results)
    if notes:
        lines += ["", "Notes:", *(f"- {note}" for note in notes)]
    return "\n".join(lines) + "\n"
