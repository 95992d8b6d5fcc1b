#!/bin/sh
# Run the sharded benchmark of job.yaml, merge the shards, and copy the merged result here.
#   deploy/kubernetes/run.sh [merged.json]
set -eu
here=$(dirname "$0")
out=${1:-merged.json}
kubectl apply -f "$here/pvc.yaml"
kubectl delete job llmbench llmbench-merge --ignore-not-found
kubectl apply -f "$here/job.yaml"
# a failed shard fails the Job; its pod's log says why (kubectl logs -l job-name=llmbench)
kubectl wait --for=condition=complete --timeout=24h job/llmbench
kubectl apply -f "$here/merge-job.yaml"
kubectl wait --for=condition=complete --timeout=10m job/llmbench-merge
kubectl logs job/llmbench-merge > "$out"
echo "merged result: $out (llmbench compare BASE.json $out)"
