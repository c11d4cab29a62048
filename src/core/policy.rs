//! What to do about a held port, and when to stop relaunching. Pure decisions from facts the
//! wrapper gathers (flags, whether there is a terminal, `CI`, who holds the port).
//!
//! - An explicit policy wins: `--on-conflict kill|next|fail`, `--kill`, `--next`.
//! - `-y` takes the recommended action without asking: stop the holder when it is an earlier
//!   run of the same command (and portfix may stop it), move to a free port otherwise.
//! - Otherwise ask, when stdin and stderr are terminals and `CI` is unset; else fail (exit 3)
//!   with the exact flags to re-run with. A prompt never blocks CI.
//! - No loops: after a relaunch on the chosen port, a failure on any other port means the command
//!   ignores the injected port; say how to fix it instead of relaunching. `--retries` bounds the
//!   relaunches.

use super::port::Port;

/// `--on-conflict`, with the `--kill` / `--next` shorthands folded in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Policy {
    Ask,
    Kill,
    Next,
    Fail,
}

impl Policy {
    /// Folds `--kill` and `--next` (clap already refuses them together) into `--on-conflict`.
    pub(crate) fn from_flags(on_conflict: Option<Policy>, kill: bool, next: bool) -> Option<Policy> {
        if kill {
            Some(Policy::Kill)
        } else if next {
            Some(Policy::Next)
        } else {
            on_conflict
        }
    }
}

/// Whether `CI` counts as set: non-empty and not `false` / `0` (any case).
pub(crate) fn ci_is_set(value: Option<&str>) -> bool {
    value.map(str::trim).is_some_and(|v| !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false"))
}

/// How portfix was asked to run, and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Situation {
    pub(crate) policy: Option<Policy>,
    /// `-y`
    pub(crate) yes: bool,
    /// stdin and stderr are both terminals.
    pub(crate) terminal: bool,
    /// `CI` is set (see [`ci_is_set`]).
    pub(crate) ci: bool,
}

/// What is known about the holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HolderFacts {
    /// An earlier run of the same command in the same directory.
    pub(crate) same_command: bool,
    /// portfix may stop it (same user, not protected; see the stopping engine's rules).
    pub(crate) ours_to_stop: bool,
    /// A shared service of the machine (a database, the DNS resolver, sshd: `core::wellknown`):
    /// stopping it affects other programs, so moving is recommended even for an earlier run.
    pub(crate) shared_service: bool,
}

/// The two ways out of a conflict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Choice {
    /// Stop the holder and use the wanted port.
    Stop,
    /// Move to a free port.
    Move,
}

/// The decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Action {
    /// Prompt; `recommended` is the highlighted default; offer "stop it" only when `can_stop`.
    Ask {
        recommended: Choice,
        can_stop: bool,
    },
    Kill,
    Next,
    Fail(Refusal),
}

/// What kind of refusal it is; `crate::exit` gives each its exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RefusalKind {
    /// The conflict is left as it is (`--on-conflict fail`, no terminal to ask at).
    Unresolved,
    /// `--kill` of a process portfix may not stop (another user's, or protected).
    NotPermitted,
    /// The port needs privilege here (`core::privilege`): nothing holds it.
    Privileged,
}

/// Why a conflict is left unresolved, and how to re-run. The wrapper prints its own line naming
/// the holder, then `why`, then `hint`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub(crate) kind: RefusalKind,
    pub(crate) why: String,
    pub(crate) hint: String,
}

impl HolderFacts {
    /// Stop an earlier run of the same command (unless it is a shared service); otherwise move.
    pub(crate) fn recommended(self) -> Choice {
        if self.same_command && self.ours_to_stop && !self.shared_service {
            Choice::Stop
        } else {
            Choice::Move
        }
    }
}

/// Decides what to do about `port`, held by `holder`.
pub(crate) fn decide(s: Situation, holder: HolderFacts, port: Port) -> Action {
    let recommended = holder.recommended();
    let take = |choice: Choice| match choice {
        Choice::Stop => Action::Kill,
        Choice::Move => Action::Next,
    };
    match s.policy {
        Some(Policy::Kill) if !holder.ours_to_stop => Action::Fail(Refusal {
            kind: RefusalKind::NotPermitted,
            why: "--kill: portfix may not stop that process (another user's, or protected)".into(),
            hint: format!(
                "re-run with --next to move to a free port, or stop it with `sudo portfix kill {port}`"
            ),
        }),
        Some(Policy::Kill) => Action::Kill,
        Some(Policy::Next) => Action::Next,
        Some(Policy::Fail) => Action::Fail(Refusal {
            kind: RefusalKind::Unresolved,
            why: "--on-conflict fail".into(),
            hint: rerun_hint(holder, port),
        }),
        Some(Policy::Ask) | None if s.yes => take(recommended),
        Some(Policy::Ask) if s.terminal => Action::Ask { recommended, can_stop: holder.ours_to_stop },
        None if s.terminal && !s.ci => Action::Ask { recommended, can_stop: holder.ours_to_stop },
        policy @ (Some(Policy::Ask) | None) => {
            // Without --on-conflict ask, CI alone decides when it is set (CI runs have no
            // terminal anyway): name it, not the terminal.
            let why = if s.ci && policy.is_none() {
                "not asking: CI is set"
            } else {
                "not asking: stdin or stderr is not a terminal"
            };
            Action::Fail(Refusal {
                kind: RefusalKind::Unresolved,
                why: why.into(),
                hint: rerun_hint(holder, port),
            })
        }
    }
}

/// The exact flags to re-run with, the recommended one first.
fn rerun_hint(holder: HolderFacts, port: Port) -> String {
    let kill = "--kill (stop it and use port PORT)".replace("PORT", &port.to_string());
    let next = "--next (move to a free port)";
    match (holder.recommended(), holder.ours_to_stop) {
        (Choice::Stop, _) => {
            format!("re-run with -y or {kill}: it is an earlier run of this command; or with {next}")
        }
        (Choice::Move, true) => format!("re-run with -y or {next}; or with {kill}"),
        (Choice::Move, false) => format!(
            "re-run with -y or {next}; portfix may not stop that process (try `sudo portfix kill {port}`)"
        ),
    }
}

/// What to make of a bind failure, given the launches so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// A conflict on `port` (`None`: the output did not say; the caller attributes it): resolve
    /// it and relaunch.
    Resolve { port: Option<Port> },
    /// Relaunched on `chosen`, it failed on another port (`named`, or an unnamed one while
    /// `chosen` is free): it does not take the port portfix gives it. Exit 3 with [`Self::fix`].
    IgnoresInjection { chosen: Port, named: Option<Port> },
    /// `--retries` relaunches were made and it still fails. Exit 3.
    OutOfRetries { retries: u32 },
}

/// The launches of one `portfix -- COMMAND`, to keep relaunching bounded and loop-free.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Relaunches {
    retries: u32,
    launches: Vec<Option<Port>>,
}

impl Relaunches {
    /// `retries`: how many relaunches `--retries` allows.
    pub(crate) fn new(retries: u32) -> Relaunches {
        Relaunches { retries, launches: Vec::new() }
    }

    /// Records a launch on `port` (`None`: launched without knowing its port).
    pub(crate) fn launched(&mut self, port: Option<Port>) {
        self.launches.push(port);
    }

    /// How many relaunches were made.
    pub(crate) fn relaunches(&self) -> u32 {
        u32::try_from(self.launches.len().saturating_sub(1)).unwrap_or(u32::MAX)
    }

    /// Judges a bind failure of the latest launch. `failed`: the port the output named.
    /// `chosen_held_by_other`: whether the port of the latest launch is now held by a process
    /// outside the command's tree (asked only when `failed` is `None`).
    pub(crate) fn judge(&self, failed: Option<Port>, chosen_held_by_other: bool) -> Verdict {
        let relaunched_on =
            if self.launches.len() > 1 { self.launches.last().copied().flatten() } else { None };
        if let Some(chosen) = relaunched_on {
            match failed {
                Some(p) if p != chosen => return Verdict::IgnoresInjection { chosen, named: Some(p) },
                None if !chosen_held_by_other => return Verdict::IgnoresInjection { chosen, named: None },
                _ => {}
            }
        }
        if self.relaunches() >= self.retries {
            return Verdict::OutOfRetries { retries: self.retries };
        }
        Verdict::Resolve { port: failed.or(relaunched_on) }
    }
}

impl Verdict {
    /// For [`Verdict::IgnoresInjection`]: the message and how to fix it. `command` as the user
    /// wrote it (for the examples), `env_names` the variables that carried the port.
    /// `with_flag` is the command with a port flag where it takes one
    /// (`core::plan::Plan::with_port_flag`, rendered).
    pub(crate) fn fix(
        &self,
        command: &str,
        with_flag: &str,
        env_names: &[String],
    ) -> Option<(String, String)> {
        let Verdict::IgnoresInjection { chosen, named } = self else { return None };
        let carried = env_names.iter().map(|n| format!("${n}")).collect::<Vec<_>>().join(", ");
        let failed_on = named.map_or("another port".to_string(), |p| format!("port {p}"));
        let message = format!(
            "{command} ignores the port portfix gives it: started on {chosen} (in {carried}), it failed on {failed_on} again"
        );
        let hint = format!(
            "put {{port}} where it takes its port (portfix -- {with_flag}), or name the variable it reads (portfix --env NAME -- {command})"
        );
        Some((message, hint))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exit::Code;

    fn p(n: u16) -> Port {
        Port::new(n).unwrap()
    }

    const EARLIER_RUN: HolderFacts =
        HolderFacts { same_command: true, ours_to_stop: true, shared_service: false };
    const OTHER: HolderFacts = HolderFacts { same_command: false, ours_to_stop: true, shared_service: false };
    const FOREIGN: HolderFacts =
        HolderFacts { same_command: false, ours_to_stop: false, shared_service: false };
    const FOREIGN_SAME: HolderFacts =
        HolderFacts { same_command: true, ours_to_stop: false, shared_service: false };
    /// `portfix -- redis-server` while Redis runs: an earlier run, but a shared service.
    const SERVICE_SAME: HolderFacts =
        HolderFacts { same_command: true, ours_to_stop: true, shared_service: true };
    const SERVICE: HolderFacts =
        HolderFacts { same_command: false, ours_to_stop: true, shared_service: true };

    fn sit(policy: Option<Policy>, yes: bool, terminal: bool, ci: bool) -> Situation {
        Situation { policy, yes, terminal, ci }
    }

    #[derive(Debug, PartialEq)]
    enum A {
        Ask(Choice, bool),
        Kill,
        Next,
        Fail(Code),
    }

    fn short(a: &Action) -> A {
        match a {
            Action::Ask { recommended, can_stop } => A::Ask(*recommended, *can_stop),
            Action::Kill => A::Kill,
            Action::Next => A::Next,
            Action::Fail(r) => A::Fail(r.code()),
        }
    }

    #[test]
    fn decisions() {
        use Choice::*;
        use Policy as P;
        let cases: &[(Situation, HolderFacts, A)] = &[
            // at a terminal, no policy: ask, recommending to stop an earlier run, else to move
            (sit(None, false, true, false), EARLIER_RUN, A::Ask(Stop, true)),
            (sit(None, false, true, false), OTHER, A::Ask(Move, true)),
            (sit(None, false, true, false), FOREIGN, A::Ask(Move, false)),
            (sit(None, false, true, false), FOREIGN_SAME, A::Ask(Move, false)),
            // CI set, or no terminal: never ask
            (sit(None, false, true, true), EARLIER_RUN, A::Fail(Code::Unresolved)),
            (sit(None, false, false, false), EARLIER_RUN, A::Fail(Code::Unresolved)),
            // -y takes the recommended action, terminal or not
            (sit(None, true, false, true), EARLIER_RUN, A::Kill),
            (sit(None, true, false, true), OTHER, A::Next),
            (sit(None, true, true, false), FOREIGN_SAME, A::Next),
            (sit(Some(P::Ask), true, true, false), EARLIER_RUN, A::Kill),
            // explicit policies win over -y, the terminal and CI
            (sit(Some(P::Kill), false, false, true), OTHER, A::Kill),
            (sit(Some(P::Kill), true, true, false), OTHER, A::Kill),
            (sit(Some(P::Kill), false, true, false), FOREIGN, A::Fail(Code::NotPermitted)),
            (sit(Some(P::Next), true, true, false), EARLIER_RUN, A::Next),
            (sit(Some(P::Fail), true, true, false), EARLIER_RUN, A::Fail(Code::Unresolved)),
            // an explicit ask needs a terminal, not the absence of CI
            (sit(Some(P::Ask), false, true, true), OTHER, A::Ask(Move, true)),
            (sit(Some(P::Ask), false, false, false), OTHER, A::Fail(Code::Unresolved)),
            // a shared service: moving is recommended (the prompt's default, -y), stopping still
            // offered and done when asked for
            (sit(None, false, true, false), SERVICE_SAME, A::Ask(Move, true)),
            (sit(None, false, true, false), SERVICE, A::Ask(Move, true)),
            (sit(None, true, false, true), SERVICE_SAME, A::Next),
            (sit(Some(P::Kill), false, false, true), SERVICE, A::Kill),
        ];
        for (s, h, want) in cases {
            assert_eq!(short(&decide(*s, *h, p(3000))), *want, "{s:?} {h:?}");
        }
    }

    #[test]
    fn a_refusal_names_the_flags_to_rerun_with() {
        let Action::Fail(r) = decide(sit(None, false, false, false), EARLIER_RUN, p(3000)) else { panic!() };
        assert_eq!(r.why, "not asking: stdin or stderr is not a terminal");
        // off a terminal in CI, CI is the reason; an explicit ask needs the terminal
        let Action::Fail(r) = decide(sit(None, false, false, true), EARLIER_RUN, p(3000)) else { panic!() };
        assert_eq!(r.why, "not asking: CI is set");
        let Action::Fail(r) = decide(sit(Some(Policy::Ask), false, false, true), EARLIER_RUN, p(3000)) else {
            panic!()
        };
        assert_eq!(r.why, "not asking: stdin or stderr is not a terminal");
        assert!(r.hint.starts_with("re-run with -y or --kill (stop it and use port 3000)"), "{}", r.hint);
        assert!(r.hint.contains("--next"), "{}", r.hint);
        let Action::Fail(r) = decide(sit(None, false, true, true), OTHER, p(3000)) else { panic!() };
        assert_eq!(r.why, "not asking: CI is set");
        assert!(r.hint.starts_with("re-run with -y or --next"), "{}", r.hint);
        let Action::Fail(r) = decide(sit(None, false, false, false), FOREIGN, p(8080)) else { panic!() };
        assert!(r.hint.contains("sudo portfix kill 8080") && !r.hint.contains("--kill"), "{}", r.hint);
    }

    #[test]
    fn shorthands_and_ci() {
        assert_eq!(Policy::from_flags(None, true, false), Some(Policy::Kill));
        assert_eq!(Policy::from_flags(None, false, true), Some(Policy::Next));
        assert_eq!(Policy::from_flags(Some(Policy::Fail), false, false), Some(Policy::Fail));
        assert_eq!(Policy::from_flags(None, false, false), None);
        for (v, set) in [
            (None, false),
            (Some(""), false),
            (Some("0"), false),
            (Some("false"), false),
            (Some("FALSE"), false),
        ] {
            assert_eq!(ci_is_set(v), set, "{v:?}");
        }
        for v in ["true", "1", "yes", "github"] {
            assert!(ci_is_set(Some(v)), "{v}");
        }
    }

    #[test]
    fn the_first_failure_is_resolved() {
        let mut r = Relaunches::new(3);
        r.launched(Some(p(3000)));
        assert_eq!(r.judge(Some(p(3000)), true), Verdict::Resolve { port: Some(p(3000)) });
        // the output may not name it: the caller attributes it
        assert_eq!(r.judge(None, true), Verdict::Resolve { port: None });
        // launched without a known port, the named port is the conflict
        let mut r = Relaunches::new(3);
        r.launched(None);
        assert_eq!(r.judge(Some(p(8080)), false), Verdict::Resolve { port: Some(p(8080)) });
    }

    #[test]
    fn a_failure_on_the_old_port_after_a_relaunch_is_not_looped() {
        let mut r = Relaunches::new(3);
        r.launched(Some(p(3000)));
        r.launched(Some(p(3001)));
        let v = r.judge(Some(p(3000)), false);
        assert_eq!(v, Verdict::IgnoresInjection { chosen: p(3001), named: Some(p(3000)) });
        let (msg, hint) =
            v.fix("node server.js", "node server.js --port {port}", &["PORT".to_string()]).unwrap();
        assert_eq!(
            msg,
            "node server.js ignores the port portfix gives it: started on 3001 (in $PORT), it failed on port 3000 again"
        );
        assert!(hint.contains("--port {port}") && hint.contains("--env NAME"), "{hint}");
        // unnamed, and the chosen port is free: it failed elsewhere
        let v = r.judge(None, false);
        assert_eq!(v, Verdict::IgnoresInjection { chosen: p(3001), named: None });
        assert!(
            v.fix("x", "x --port {port}", &["PORT".into()])
                .unwrap()
                .0
                .ends_with("failed on another port again")
        );
        // unnamed, and someone took the chosen port meanwhile: a new conflict there
        assert_eq!(r.judge(None, true), Verdict::Resolve { port: Some(p(3001)) });
        // named, the chosen one: a new conflict there
        assert_eq!(r.judge(Some(p(3001)), true), Verdict::Resolve { port: Some(p(3001)) });
        assert_eq!(Verdict::Resolve { port: None }.fix("x", "x", &[]), None);
    }

    #[test]
    fn retries_bound_the_relaunches() {
        let mut r = Relaunches::new(2);
        r.launched(Some(p(3000)));
        assert!(matches!(r.judge(Some(p(3000)), true), Verdict::Resolve { .. }));
        r.launched(Some(p(3001)));
        assert!(matches!(r.judge(Some(p(3001)), true), Verdict::Resolve { .. }));
        r.launched(Some(p(3002)));
        assert_eq!(r.relaunches(), 2);
        assert_eq!(r.judge(Some(p(3002)), true), Verdict::OutOfRetries { retries: 2 });
        // --retries 0: the first failure is final
        let mut r = Relaunches::new(0);
        r.launched(Some(p(3000)));
        assert_eq!(r.judge(Some(p(3000)), true), Verdict::OutOfRetries { retries: 0 });
    }
}
