{{/* The CAPI cluster the add-ons are installed into. */}}
{{- define "addons.clusterName" -}}
{{- .Values.clusterName | default .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* "<release>-<suffix>"; argument: (list $ctx suffix). */}}
{{- define "addons.name" -}}
{{- printf "%s-%s" (index . 0).Release.Name (index . 1) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels of one add-on's objects; argument: (list $ctx component). */}}
{{- define "addons.labels" -}}
{{- $ctx := index . 0 -}}
helm.sh/chart: {{ printf "%s-%s" $ctx.Chart.Name $ctx.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
capi.stackhpc.com/managed-by: {{ $ctx.Release.Service }}
capi.stackhpc.com/cluster: {{ include "addons.clusterName" $ctx }}
capi.stackhpc.com/component: {{ index . 1 }}
{{- end -}}

{{/*
  A Helm add-on: the "<release>-<component>-config" Secret with the
  add-on's default and override values (the addon provider watches it),
  and the HelmRelease reading both. Argument: dict with ctx, component,
  releaseName, chart, namespace, defaults (YAML text, may be empty),
  overrides (a map).
*/}}
{{- define "addons.helmRelease" -}}
{{- $ctx := .ctx -}}
{{- $name := include "addons.name" (list $ctx .component) -}}
{{- $keys := ternary (list "defaults" "overrides") (list "overrides") (not (empty .defaults)) }}
---
apiVersion: v1
kind: Secret
metadata:
  name: {{ $name }}-config
  labels:
    {{- include "addons.labels" (list $ctx .component) | nindent 4 }}
    addons.stackhpc.com/watch: ""
stringData:
  {{- with .defaults }}
  defaults: |
    {{- . | nindent 4 }}
  {{- end }}
  overrides: |
    {{- toYaml .overrides | nindent 4 }}
---
apiVersion: addons.stackhpc.com/v1alpha1
kind: HelmRelease
metadata:
  name: {{ $name }}
  labels: {{ include "addons.labels" (list $ctx .component) | nindent 4 }}
spec:
  clusterName: {{ include "addons.clusterName" $ctx }}
  bootstrap: true
  chart: {{ toYaml .chart | nindent 4 }}
  targetNamespace: {{ .namespace }}
  releaseName: {{ .releaseName }}
  valuesSources:
    {{- range $key := $keys }}
    - secret:
        name: {{ $name }}-config
        key: {{ $key }}
    {{- end }}
{{- end -}}

{{/*
  A Manifests add-on. Argument: dict with ctx, name (object suffix),
  component (label), releaseName, namespace, templates (list of text).
*/}}
{{- define "addons.manifests" -}}
{{- $ctx := .ctx }}
---
apiVersion: addons.stackhpc.com/v1alpha1
kind: Manifests
metadata:
  name: {{ include "addons.name" (list $ctx .name) }}
  labels: {{ include "addons.labels" (list $ctx .component) | nindent 4 }}
spec:
  clusterName: {{ include "addons.clusterName" $ctx }}
  bootstrap: true
  targetNamespace: {{ .namespace }}
  releaseName: {{ .releaseName }}
  manifestSources:
    {{- range $text := .templates }}
    - template: |
        {{- $text | nindent 8 }}
    {{- end }}
{{- end -}}
