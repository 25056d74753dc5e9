"""Grid trials grouped into populations, and a population's reports taken apart into its members'.

A population is one Tune trial whose config is ``{"members": [config, ...]}``: trials of one method in
one environment that differ only in the spec's ``population.axes``, trained as one vectorized
computation (``trainables.population``). Every member keeps its own config, key and results, so the
report cannot tell a member from a trial that trained alone.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

from study.spec import PopulationSetting
from trainables.config import TrialConfig
from trainables.population.loop import MEMBERS, member_folder

__all__ = ["MEMBERS", "group", "is_population", "member_folder", "member_reports", "plan", "reason_alone"]


def reason_alone(cfg: TrialConfig, setting: PopulationSetting) -> str | None:
    """Why this trial trains alone under ``setting``, as ``field: reason``; None if it may batch."""
    from trainables.population import refusal

    if setting.max_members == 1:
        return "population.max_members: 1"
    if cfg.arch not in setting.archs:
        return (f"population.archs: {cfg.arch} is not listed "
                "(image architectures batch on request: on a CPU they do not pay)")
    return refusal(cfg)


def group(configs: Sequence[TrialConfig], setting: PopulationSetting) -> list[list[TrialConfig]]:
    """The configs as populations of at most ``setting.max_members``, in grid order (a population
    takes its place at its first member); a config that cannot batch is a population of one."""
    axes = set(setting.axes)
    open_groups: dict[str, list[TrialConfig]] = {}
    out: list[list[TrialConfig]] = []
    for cfg in configs:
        if reason_alone(cfg, setting) is not None:
            out.append([cfg])
            continue
        shared = repr(sorted((k, repr(v)) for k, v in cfg.model_dump().items() if k not in axes))
        members = open_groups.get(shared)
        if members is None or len(members) >= setting.max_members:
            members = open_groups[shared] = []
            out.append(members)
        members.append(cfg)
    return out


def plan(configs: Sequence[TrialConfig], setting: PopulationSetting) -> list[str]:
    """What ``group`` makes of the configs, in lines for ``ganstudy validate``: how many trials train
    together, and why the others train alone."""
    groups = group(configs, setting)
    together = [g for g in groups if len(g) > 1]
    alone = [g[0] for g in groups if len(g) == 1]
    lines = [f"populations: {sum(map(len, together))} trial(s) in {len(together)} population(s)"
             + (f" of up to {max(map(len, together))} members" if together else "") + f", {len(alone)} alone"]
    why = Counter(reason_alone(c, setting) or "no other member" for c in alone)
    lines += [f"  alone, {n} trial(s): {reason}" for reason, n in why.items()]
    return lines


def is_population(config: dict[str, Any]) -> bool:
    return MEMBERS in config


def member_reports(config: dict[str, Any], result: dict[str, Any]) -> Iterator[tuple[int | None, dict, dict]]:
    """``(member index, member config, member record)`` for each trial a Tune report speaks for: the
    trial itself (index None) when it trains alone, each reported member of a population."""
    if not is_population(config):
        yield None, config, result
        return
    for index, record in (result.get(MEMBERS) or {}).items():
        yield int(index), config[MEMBERS][int(index)], record
