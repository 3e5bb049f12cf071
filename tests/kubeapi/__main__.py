"""Run the API server stand-in until Ctrl-C."""

import argparse
import threading

from tests.kubeapi import ManagementCluster


def main():
    parser = argparse.ArgumentParser(prog='python -m tests.kubeapi')
    parser.add_argument('--port', type=int, default=0)
    parser.add_argument('--kubeconfig', required=True,
                        help='where to write the kubeconfig')
    parser.add_argument('--capi', action='store_true',
                        help='also run the Cluster API simulator')
    parser.add_argument('--speed', type=float, default=1.0)
    parser.add_argument('--no-crds', action='store_true',
                        help='start without the Cluster API CRDs')
    args = parser.parse_args()
    cluster = ManagementCluster(capi=args.capi, speed=args.speed,
                                crds=not args.no_crds, port=args.port,
                                kubeconfig=args.kubeconfig)
    with cluster:
        print('serving %s, kubeconfig %s' % (cluster.url, cluster.kubeconfig),
              flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


if __name__ == '__main__':
    main()
