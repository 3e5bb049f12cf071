{{/* Helpers of monitoring.yaml. */}}

{{- define "addons.monitoring.kpsDefaults" -}}
prometheus:
  prometheusSpec:
    podMonitorSelectorNilUsesHelmValues: false
    serviceMonitorSelectorNilUsesHelmValues: false
    ruleSelectorNilUsesHelmValues: false
grafana:
  sidecar:
    dashboards:
      searchNamespace: ALL
{{- end -}}

{{- define "addons.monitoring.lokiDefaults" -}}
loki:
  serviceMonitor:
    enabled: true
promtail:
  serviceMonitor:
    enabled: true
grafana:
  sidecar:
    datasources:
      enabled: false
{{- end -}}
