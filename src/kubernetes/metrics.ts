/** The pod metadata's metrics: name and help, declared at start and updated by the watcher. */
export const K8S_METRICS = {
  apiUp: ['log2events_kubernetes_api_up', 'Whether the Kubernetes API answered the last call (1) or not (0)'],
  apiErrors: ['log2events_kubernetes_api_errors_total', 'Failed calls to the Kubernetes API (lists and watches)'],
  watchRestarts: ['log2events_kubernetes_watch_restarts_total', 'Watches of pods started again after a dropped connection'],
  pods: ['log2events_kubernetes_pods', 'Pods whose metadata the agent holds'],
  withoutMetadata: ['log2events_kubernetes_records_without_metadata_total', 'Records of a pod whose metadata was not known in time'],
} as const;
