"""Command line of the local stack (see tools.stack).

    python -m tools.stack up [--detach] [--dashboard] [--clouds-yaml PATH]
    python -m tools.stack down
    python -m tools.stack status
"""

import argparse
import signal
import sys
import threading

import tools.stack as stack


def main(argv=None):
    parser = argparse.ArgumentParser(prog='python -m tools.stack',
                                     description=__doc__.splitlines()[0])
    parser.add_argument('--run-dir', default=stack.default_run_dir(),
                        help='where the stack keeps its state, logs and '
                             'pidfiles (default: %(default)s, or '
                             '$MAGNUM_CAPI_STACK_DIR)')
    sub = parser.add_subparsers(dest='command', required=True)
    start = sub.add_parser('up', help='start the stack')
    start.add_argument('--detach', action='store_true',
                       help='return once everything answers, leaving the '
                            'stack running (stop it with "down")')
    start.add_argument('--clouds-yaml', default='clouds.yaml',
                       help='where to write clouds.yaml (clouds magnum-capi '
                            'and magnum-capi-admin); default %(default)s')
    start.add_argument('--dashboard', action='store_true',
                       help='also serve Horizon with magnum-ui (from '
                            '.venv-horizon) and print its URL')
    start.add_argument('--backends', default='auto',
                       choices=['auto', 'servers', 'embedded'],
                       help='servers: MariaDB and RabbitMQ on 127.0.0.1; '
                            'embedded: sqlite and one Magnum process; auto '
                            '(default): servers when they answer')
    start.add_argument('--speed', type=float, default=stack.DEFAULT_SPEED,
                       help='how many times faster than real the simulated '
                            'Cluster API runs (default %(default)s)')
    start.add_argument('--helm', default=None,
                       help='helm binary (default: helm 4 in .tools/bin)')
    start.add_argument('--conductor-workers', type=int, default=2,
                       help='[conductor] workers of each conductor service '
                            '(default %(default)s)')
    start.add_argument('--conductors', type=int, default=stack.CONDUCTORS,
                       help='magnum-conductor services, each a host of its '
                            'own (default %(default)s; the embedded '
                            'fallback runs one)')
    sub.add_parser('down', help='stop the stack and remove its state')
    sub.add_parser('status', help='print the running stack as JSON')
    args = parser.parse_args(argv)
    try:
        if args.command == 'up':
            return _up(args)
        if args.command == 'status':
            import dataclasses
            import json
            print(json.dumps(dataclasses.asdict(
                stack.State.load(args.run_dir)), indent=2))
            return 0
        problems = stack.down(args.run_dir)
        for problem in problems:
            stack.say(problem)
        stack.say('down' if not problems else 'down, with problems')
        return 1 if problems else 0
    except (stack.StackError, FileNotFoundError) as e:
        print('stack: error: %s' % e, file=sys.stderr)
        return 1


def _up(args):
    state = stack.up(args.run_dir, args.clouds_yaml, backends=args.backends,
                     speed=args.speed, helm=args.helm,
                     workers=args.conductor_workers,
                     conductors=args.conductors, dashboard=args.dashboard)
    if state.dashboard_url:
        print('dashboard: %s' % state.dashboard_url, flush=True)
    if args.detach:
        stack.say('running; stop it with: .venv/bin/python -m tools.stack '
                  'down' + ('' if args.run_dir == stack.default_run_dir()
                            else ' --run-dir ' + args.run_dir))
        return 0
    stopping = threading.Event()
    # Set both handlers: a shell without job control starts background
    # commands with SIGINT ignored, and Python then never raises
    # KeyboardInterrupt.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    stack.say('running until Ctrl-C')
    while not stopping.wait(1):
        pass
    problems = stack.down(args.run_dir)
    for problem in problems:
        stack.say(problem)
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
