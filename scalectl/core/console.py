"""The Console: the single entry point for every mutation, from the TUI or the CLI.

Every change goes the same way: plan (read the provider, compute the target) → guard (bounds,
step limit, scale-to-zero, cooldown, read-only, confirmation) → provider writer → audit log.
Refused attempts are logged too. A read-only Console holds no writer at all, so nothing can reach
a mutation through it, whatever the UI does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from scalectl.core.audit import Actor, AuditLog, Result
from scalectl.core.errors import (
    ErrorKind,
    ExitCode,
    InputError,
    ProviderError,
    RefusedError,
    ScalectlError,
)
from scalectl.core.guard import ScaleTarget, Verdict, check_bounds, check_scale
from scalectl.core.model import ActivityStatus, Group, InstanceState
from scalectl.core.provider import ProviderReader, ProviderWriter, WriteResult

# The decision engine, the planner and the rule schema load when a command uses them: reads
# (groups list, the TUI's first paint) need none of them.
if TYPE_CHECKING:
    from scalectl.core.decide import GroupSnapshot
    from scalectl.core.plan import Change, RulePlan
    from scalectl.core.rules import AnyRule, RuleSet


@dataclass(frozen=True)
class ScalePlan:
    group: str
    current: int
    desired: int
    min: int
    max: int
    target: ScaleTarget
    verdict: Verdict
    honor_cooldown: bool
    force: bool
    cooldown_left_s: float
    preview: tuple[str, ...] = ()

    def describe(self) -> str:
        return f"{self.group}: {self.current} → {self.desired} (min {self.min}, max {self.max})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "current": self.current,
            "desired": self.desired,
            "min": self.min,
            "max": self.max,
            "target": self.target.describe(),
            "allowed": self.verdict.allowed,
            "refused_by": self.verdict.rule or None,
            "reason": self.verdict.reason,
            "warnings": list(self.verdict.warnings),
            "preview": list(self.preview),
            "honor_cooldown": self.honor_cooldown,
            "cooldown_left_s": round(self.cooldown_left_s, 1),
        }


@dataclass(frozen=True)
class ApplyOutcome:
    applied: tuple[Change, ...] = ()
    failed: Change | None = None
    error: str = ""
    results: tuple[WriteResult, ...] = field(default_factory=tuple)
    exit_code: ExitCode = ExitCode.OK  # of the error that stopped it (refused, provider, ...)


def outcome_unknown(exc: ProviderError) -> bool:
    """Whether a failed write may still have happened: the request may have reached the cloud
    (a timeout, a dropped connection, an unreadable reply). Such writes are audited as
    ``interrupted``, not ``failed``, so nobody reads the log as "nothing changed"."""
    if exc.kind in (ErrorKind.TIMEOUT, ErrorKind.MALFORMED):
        return True
    # No status and no request id: no answer from the cloud came back (a reply from it, even
    # an error, names its request).
    answered = exc.http_status is not None or bool(exc.request_id)
    return exc.kind is ErrorKind.UNAVAILABLE and not answered


def snapshot_of(group: Group) -> GroupSnapshot:
    """The autoscaler's view of a group, from the normalized model."""
    from scalectl.core.decide import GroupSnapshot

    warming = sum(1 for i in group.instances if i.state is InstanceState.IN_SERVICE and i.warming)
    in_service = group.in_service - warming if group.instances else group.in_service
    return GroupSnapshot(
        name=group.name,
        min=group.min,
        max=group.max,
        desired=group.desired,
        in_service=max(0, in_service),
        warming=warming,
        pending=group.pending,
        default_cooldown_s=group.default_cooldown_s,
        warmup_s=group.warmup_s if group.warmup_s is not None else 300,
        suspended=frozenset(group.suspended),
    )


READ_ONLY = Verdict.refuse("read_only", "this profile is read-only: no change is possible")
UNCONFIRMED = Verdict.refuse("confirmation", "confirmation missing: pass --yes")


class Console:
    def __init__(
        self,
        *,
        profile: str,
        reader: ProviderReader,
        writer: ProviderWriter | None,
        audit: AuditLog,
        actor: Actor,
        read_only: bool,
        step_limit: int = 20,
    ) -> None:
        if read_only and writer is not None:
            raise ValueError("a read-only Console must be built without a provider writer")
        if not read_only and writer is None:
            raise ValueError("a writable Console needs a provider writer")
        self.profile = profile
        self.reader = reader
        self._writer = writer
        self.audit = audit
        self.actor = actor
        self.read_only = read_only
        self.step_limit = step_limit

    # -- helpers -------------------------------------------------------------------------------

    @property
    def provider(self) -> str:
        return self.reader.name

    def _record(
        self,
        action: str,
        target: str,
        params: dict[str, Any],
        result: Result,
        *,
        reason: str = "",
        before: Any = None,
        after: Any = None,
        request_ids: Sequence[str] = (),
    ) -> None:
        self.audit.append(
            actor=self.actor,
            profile=self.profile,
            provider=self.provider,
            action=action,
            target=target,
            params=params,
            result=result,
            reason=reason,
            before=before,
            after=after,
            request_ids=tuple(request_ids),
        )

    def _refuse(
        self, action: str, target: str, params: dict[str, Any], verdict: Verdict, before: Any = None
    ) -> RefusedError:
        self._record(action, target, params, "refused", reason=verdict.reason, before=before)
        return RefusedError(verdict.reason, rule=verdict.rule)

    def _gate(
        self,
        action: str,
        target: str,
        params: dict[str, Any],
        *,
        confirmed: bool,
        verdict: Verdict | None = None,
        before: Any = None,
    ) -> None:
        """Refuse, and audit the refusal of, a mutation on a read-only console, one a guard
        refused, or one nobody confirmed (in that order)."""
        for refusal in (
            READ_ONLY if self.read_only else None,
            verdict if verdict is not None and not verdict.allowed else None,
            None if confirmed else UNCONFIRMED,
        ):
            if refusal is not None:
                raise self._refuse(action, target, params, refusal, before)

    def _attempt(
        self,
        action: str,
        target: str,
        params: dict[str, Any],
        call: Callable[[ProviderWriter], WriteResult],
        *,
        before: Any = None,
    ) -> WriteResult:
        """Run one provider write; whatever stops it half-way is audited before it propagates."""
        try:
            return call(self._write())
        except ProviderError as exc:
            result: Result = "interrupted" if outcome_unknown(exc) else "failed"
            self._record(
                action,
                target,
                params,
                result,
                reason=str(exc),
                before=before,
                request_ids=(exc.request_id,),
            )
            raise
        except ScalectlError as exc:
            self._record(action, target, params, "failed", reason=str(exc), before=before)
            raise
        except BaseException as exc:
            # Ctrl-C, a kill or a bug mid-call: the change may or may not have happened.
            self._record(
                action,
                target,
                params,
                "interrupted",
                reason=f"interrupted during the provider call ({type(exc).__name__})",
                before=before,
            )
            raise

    def _write(self) -> ProviderWriter:
        if self._writer is None:  # unreachable through the guard; kept as the last line
            raise RefusedError("this profile is read-only: no change is possible", rule="read_only")
        return self._writer

    def _cooldown_left(self, group: Group, now: datetime) -> float:
        latest_end: datetime | None = None
        for activity in self.reader.list_activities(group.name, limit=5):
            if activity.status is ActivityStatus.IN_PROGRESS:
                return float(group.default_cooldown_s)
            if activity.ended_at and (latest_end is None or activity.ended_at > latest_end):
                latest_end = activity.ended_at
        if latest_end is None:
            return 0.0
        left = (latest_end + timedelta(seconds=group.default_cooldown_s) - now).total_seconds()
        return max(0.0, left)

    def _preview(self, group: Group, desired: int, now: datetime) -> tuple[str, ...]:
        rules = self.reader.list_rules(group.name)
        if not rules or desired == group.desired:
            return ()
        metrics = {getattr(r, "metric", "cpu") for r in rules if hasattr(r, "metric")}
        history = {}
        for metric in sorted(metrics):
            try:
                series = self.reader.metric_series(group.name, metric, timedelta(minutes=30))
            except ProviderError:
                continue
            history[metric] = series.values()
        from scalectl.core.decide import preview_after_manual

        return tuple(preview_after_manual(snapshot_of(group), desired, rules, history, now))

    # -- manual scaling ------------------------------------------------------------------------

    def plan_scale(
        self,
        group: str,
        target: ScaleTarget | str,
        *,
        force: bool = False,
        honor_cooldown: bool = False,
        with_preview: bool = True,
    ) -> ScalePlan:
        parsed = ScaleTarget.parse(target) if isinstance(target, str) else target
        info = self.reader.get_group(group)
        now = self.reader.now()
        desired = parsed.resolve(info.desired)
        cooldown_left = self._cooldown_left(info, now)
        verdict = check_scale(
            group=info.name,
            current=info.desired,
            desired=desired,
            min_size=info.min,
            max_size=info.max,
            read_only=self.read_only,
            step_limit=self.step_limit,
            force=force,
            honor_cooldown=honor_cooldown,
            cooldown_left_s=cooldown_left,
        )
        if verdict.allowed and honor_cooldown and not self.reader.capabilities().honor_cooldown:
            verdict = Verdict.refuse(
                "capability",
                f"{self.provider} cannot honor the cooldown on a manual scale; "
                "drop --honor-cooldown to scale now",
            )
        preview = self._preview(info, desired, now) if with_preview and verdict.allowed else ()
        return ScalePlan(
            info.name,
            info.desired,
            desired,
            info.min,
            info.max,
            parsed,
            verdict,
            honor_cooldown,
            force,
            cooldown_left,
            preview,
        )

    def scale(
        self,
        group: str,
        target: ScaleTarget | str,
        *,
        confirmed: bool,
        reason: str = "",
        force: bool = False,
        honor_cooldown: bool = False,
    ) -> tuple[ScalePlan, WriteResult]:
        plan = self.plan_scale(
            group, target, force=force, honor_cooldown=honor_cooldown, with_preview=False
        )
        params = {
            "target": plan.target.describe(),
            "desired": plan.desired,
            "force": force,
            "honor_cooldown": honor_cooldown,
        }
        before = {"desired": plan.current, "min": plan.min, "max": plan.max}
        self._gate(
            "scale", plan.group, params, confirmed=confirmed, verdict=plan.verdict, before=before
        )
        result = self._attempt(
            "scale",
            plan.group,
            params,
            lambda w: w.set_desired(
                plan.group, plan.desired, honor_cooldown=honor_cooldown, reason=reason
            ),
            before=before,
        )
        self._record(
            "scale",
            plan.group,
            params,
            "ok",
            reason=reason,
            before=before,
            after={"desired": plan.desired},
            request_ids=(result.request_id,),
        )
        return plan, result

    # -- bounds ------------------------------------------------------------------------------

    def set_bounds(
        self, group: str, *, min_size: int, max_size: int, desired: int | None, confirmed: bool
    ) -> WriteResult:
        info = self.reader.get_group(group)
        params = {"min": min_size, "max": max_size, "desired": desired}
        before = {"min": info.min, "max": info.max, "desired": info.desired}
        verdict = check_bounds(
            group=info.name,
            min_size=min_size,
            max_size=max_size,
            desired=desired,
            read_only=self.read_only,
        )
        self._gate(
            "set_bounds", info.name, params, confirmed=confirmed, verdict=verdict, before=before
        )
        result = self._attempt(
            "set_bounds",
            info.name,
            params,
            lambda w: w.set_bounds(
                info.name, min_size=min_size, max_size=max_size, desired=desired
            ),
            before=before,
        )
        self._record(
            "set_bounds",
            info.name,
            params,
            "ok",
            before=before,
            after=params,
            request_ids=(result.request_id,),
        )
        return result

    # -- rules -------------------------------------------------------------------------------

    def plan_rules(self, wanted: RuleSet) -> RulePlan:
        groups = self.reader.list_groups()
        known = {g.name for g in groups}
        for name in sorted({r.group for r in wanted.rules} | {b.group for b in wanted.bounds}):
            if name not in known:
                raise InputError(
                    f"group {name!r} does not exist at this provider "
                    f"(known: {', '.join(sorted(known)) or 'none'})",
                    field="group",
                )
        current = self.reader.list_rules()
        canonical = getattr(self.reader, "canonical_rule", None)
        from scalectl.core.plan import plan_rules

        return plan_rules(wanted, current, groups, self.reader.capabilities(), canonical)

    def apply_plan(self, plan: RulePlan, *, confirmed: bool) -> ApplyOutcome:
        """Apply changes in order; stop at the first failure and report what was applied."""
        params_all = {"changes": len(plan.changes)}
        # An empty plan needs no confirmation: there is nothing to agree to.
        self._gate(
            "rules_apply",
            ",".join(plan.groups),
            params_all,
            confirmed=confirmed or not plan.changes,
        )
        applied: list[Change] = []
        results: list[WriteResult] = []
        for change in plan.changes:
            try:
                results.append(self._apply_change(change))
            except ScalectlError as exc:  # provider, refusal, not found, bad input
                return ApplyOutcome(tuple(applied), change, str(exc), tuple(results), exc.exit_code)
            applied.append(change)
        return ApplyOutcome(tuple(applied), None, "", tuple(results))

    def _apply_change(self, change: Change) -> WriteResult:
        from scalectl.core.rules import GroupBounds

        if change.kind == "bounds":
            assert isinstance(change.after, GroupBounds)
            after = change.after
            return self.set_bounds(
                change.group,
                min_size=after.min,
                max_size=after.max,
                desired=after.desired,
                confirmed=True,
            )
        if change.kind == "delete":
            return self.delete_rule(change.group, change.name, confirmed=True)
        assert change.after is not None and not isinstance(change.after, GroupBounds)
        return self.put_rule(change.after, confirmed=True)

    def put_rule(self, rule: AnyRule, *, confirmed: bool) -> WriteResult:
        target = f"{rule.group}/{rule.name}"
        params = rule.model_dump(mode="json", exclude_none=True)
        problems = self.reader.capabilities().problems(rule)
        capability = (
            Verdict.refuse(
                "capability", f"{self.provider} cannot express {target}: " + "; ".join(problems)
            )
            if problems
            else None
        )
        self._gate("put_rule", target, params, confirmed=confirmed, verdict=capability)
        self.reader.get_group(rule.group)  # NotFoundError before any write
        result = self._attempt("put_rule", target, params, lambda w: w.put_rule(rule))
        self._record(
            "put_rule", target, params, "ok", after=params, request_ids=(result.request_id,)
        )
        return result

    def delete_rule(self, group: str, name: str, *, confirmed: bool) -> WriteResult:
        target = f"{group}/{name}"
        self._gate("delete_rule", target, {}, confirmed=confirmed)
        result = self._attempt("delete_rule", target, {}, lambda w: w.delete_rule(group, name))
        self._record("delete_rule", target, {}, "ok", request_ids=(result.request_id,))
        return result

    def execute_rule(
        self, group: str, name: str, *, confirmed: bool, honor_cooldown: bool = True
    ) -> WriteResult:
        target = f"{group}/{name}"
        params = {"honor_cooldown": honor_cooldown}
        self._gate("execute_rule", target, params, confirmed=confirmed)
        result = self._attempt(
            "execute_rule",
            target,
            params,
            lambda w: w.execute_rule(group, name, honor_cooldown=honor_cooldown),
        )
        self._record("execute_rule", target, params, "ok", request_ids=(result.request_id,))
        return result

    # -- suspend / resume ----------------------------------------------------------------------

    def suspend(self, group: str, processes: Sequence[str] = (), *, confirmed: bool) -> WriteResult:
        return self._toggle("suspend", group, processes, confirmed)

    def resume(self, group: str, processes: Sequence[str] = (), *, confirmed: bool) -> WriteResult:
        return self._toggle("resume", group, processes, confirmed)

    def _toggle(
        self, action: str, group: str, processes: Sequence[str], confirmed: bool
    ) -> WriteResult:
        params = {"processes": list(processes)}
        self._gate(action, group, params, confirmed=confirmed)
        info = self.reader.get_group(group)
        result = self._attempt(
            action,
            info.name,
            params,
            lambda w: (w.suspend if action == "suspend" else w.resume)(info.name, processes),
            before={"suspended": list(info.suspended)},
        )
        self._record(
            action,
            info.name,
            params,
            "ok",
            before={"suspended": list(info.suspended)},
            request_ids=(result.request_id,),
        )
        return result
