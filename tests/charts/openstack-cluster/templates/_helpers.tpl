{{/* ---------------------------------------------------------------------
  Names. Every object is named after the release, as upstream, so that a
  driver can find them by name.
--------------------------------------------------------------------- */}}

{{- define "oc.clusterName" -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* "<release>-<suffix>"; argument: (list $ctx suffix). */}}
{{- define "oc.name" -}}
{{- printf "%s-%s" (index . 0).Release.Name (index . 1) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "oc.chartLabel" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" | trimSuffix "." | trimSuffix "_" -}}
{{- end -}}

{{/* ---------------------------------------------------------------------
  Labels. The label set is upstream's: chart, managed-by and
  infrastructure-provider on every object, the cluster selector label,
  and a component (control-plane, worker, autoscaler...) where relevant.
--------------------------------------------------------------------- */}}

{{- define "oc.clusterSelector" -}}
{{ .Values.projectPrefix }}/cluster: {{ include "oc.clusterName" . }}
{{- end -}}

{{- define "oc.clusterLabels" -}}
helm.sh/chart: {{ include "oc.chartLabel" . }}
{{ .Values.projectPrefix }}/managed-by: {{ .Release.Service }}
{{ .Values.projectPrefix }}/infrastructure-provider: openstack
{{ include "oc.clusterSelector" . }}
{{- end -}}

{{/* Argument: (list $ctx component). */}}
{{- define "oc.componentSelector" -}}
{{- $ctx := index . 0 -}}
{{ include "oc.clusterSelector" $ctx }}
{{ $ctx.Values.projectPrefix }}/component: {{ index . 1 }}
{{- end -}}

{{/* Argument: (list $ctx component). */}}
{{- define "oc.componentLabels" -}}
{{- $ctx := index . 0 -}}
{{ include "oc.clusterLabels" $ctx }}
{{ $ctx.Values.projectPrefix }}/component: {{ index . 1 }}
{{- end -}}

{{/* Selector of one node group's machines; argument: (list $ctx group). */}}
{{- define "oc.groupSelector" -}}
{{- $ctx := index . 0 -}}
{{ include "oc.componentSelector" (list $ctx "worker") }}
{{ $ctx.Values.projectPrefix }}/node-group: {{ (index . 1).name }}
{{- end -}}

{{/* Labels of one node group's objects; argument: (list $ctx group). */}}
{{- define "oc.groupLabels" -}}
{{- $ctx := index . 0 -}}
{{ include "oc.componentLabels" (list $ctx "worker") }}
{{ $ctx.Values.projectPrefix }}/node-group: {{ (index . 1).name }}
{{- end -}}

{{/* ---------------------------------------------------------------------
  Required values: fail the render with the field name and what is
  accepted.
--------------------------------------------------------------------- */}}

{{- define "oc.credentialsSecret" -}}
{{- if not .Values.cloudCredentialsSecretName -}}
{{- fail "cloudCredentialsSecretName is required: the name of an existing Secret with key clouds.yaml (cloud \"openstack\") and optional key cacert" -}}
{{- end -}}
{{- .Values.cloudCredentialsSecretName -}}
{{- end -}}

{{/* "v"-prefixed version; argument: (list version-or-empty fieldName). */}}
{{- define "oc.version" -}}
{{- $version := index . 0 | default "" | toString | trimPrefix "v" -}}
{{- if not $version -}}
{{- fail (printf "%s is required: the Kubernetes version, e.g. \"1.31.2\" or \"v1.31.2\"" (index . 1)) -}}
{{- end -}}
v{{ $version }}
{{- end -}}

{{/* ---------------------------------------------------------------------
  Node groups: the entries of nodeGroups with nodeGroupDefaults merged
  under each, validated. sprig's merge keeps a group value only when it is
  non-empty, so false/0 in a group lose against a truthy default (the
  upstream quirk documented in values.yaml).
--------------------------------------------------------------------- */}}

{{/* Argument: (list $ctx index entry); returns {"group": merged} YAML. */}}
{{- define "oc.nodeGroup" -}}
{{- $ctx := index . 0 -}}
{{- $position := index . 1 -}}
{{- $entry := index . 2 -}}
{{- if not (kindIs "map" $entry) -}}
{{- fail (printf "nodeGroups[%d] must be a mapping with at least a name, got %v" $position $entry) -}}
{{- end -}}
{{- $group := mustMerge (deepCopy $entry) (deepCopy $ctx.Values.nodeGroupDefaults) -}}
{{- $name := $group.name | default "" | toString -}}
{{- if not (regexMatch "^[a-z][a-z0-9\\-]+[a-z0-9]$" $name) -}}
{{- fail (printf "nodeGroups[%d].name %q is invalid: a node group name must match ^[a-z][a-z0-9\\-]+[a-z0-9]$ (at least three characters; lower-case letters, digits and dashes; starting with a letter, not ending with a dash)" $position $name) -}}
{{- end -}}
{{- if $group.autoscale -}}
{{- if kindIs "invalid" $group.machineCountMin -}}
{{- fail (printf "nodeGroups[%d] (%s): autoscale needs machineCountMin (a number >= 0)" $position $name) -}}
{{- end -}}
{{- if kindIs "invalid" $group.machineCountMax -}}
{{- fail (printf "nodeGroups[%d] (%s): autoscale needs machineCountMax (a number >= machineCountMin)" $position $name) -}}
{{- end -}}
{{- if lt (float64 $group.machineCountMin) 0.0 -}}
{{- fail (printf "nodeGroups[%d] (%s): machineCountMin %v is negative; it must be >= 0" $position $name $group.machineCountMin) -}}
{{- end -}}
{{- if lt (float64 $group.machineCountMax) (float64 $group.machineCountMin) -}}
{{- fail (printf "nodeGroups[%d] (%s): machineCountMax %v is below machineCountMin %v" $position $name $group.machineCountMax $group.machineCountMin) -}}
{{- end -}}
{{- else if kindIs "invalid" $group.machineCount -}}
{{- fail (printf "nodeGroups[%d] (%s): machineCount is required (a number >= 0) unless autoscale is true" $position $name) -}}
{{- end -}}
{{- if not $group.machineFlavor -}}
{{- fail (printf "nodeGroups[%d] (%s): machineFlavor is required (a Nova flavor name or ID)" $position $name) -}}
{{- end -}}
{{- toYaml (dict "group" $group) -}}
{{- end -}}

{{/* All node groups as a list; returns {"groups": [...]} YAML. */}}
{{- define "oc.nodeGroups" -}}
{{- $groups := list -}}
{{- $seen := dict -}}
{{- range $position, $entry := .Values.nodeGroups | default list -}}
{{- $group := (include "oc.nodeGroup" (list $ $position $entry) | fromYaml).group -}}
{{- if hasKey $seen $group.name -}}
{{- fail (printf "nodeGroups[%d].name %q is used twice; node group names must be unique" $position $group.name) -}}
{{- end -}}
{{- $_ := set $seen $group.name true -}}
{{- $groups = append $groups $group -}}
{{- end -}}
{{- toYaml (dict "groups" $groups) -}}
{{- end -}}

{{/* ---------------------------------------------------------------------
  Deep merge used to assemble kubeadm config specs from fragments: maps
  are merged key by key, lists are appended, otherwise the later value
  wins unless it is empty.
--------------------------------------------------------------------- */}}

{{/* Argument: (list left right); returns {"value": merged} YAML. */}}
{{- define "oc.mergePair" -}}
{{- $left := index . 0 -}}
{{- $right := index . 1 -}}
{{- if and (kindIs "map" $left) (kindIs "map" $right) -}}
{{- $out := deepCopy $left -}}
{{- range $key, $value := $right -}}
{{- if hasKey $out $key -}}
{{- $_ := set $out $key (include "oc.mergePair" (list (get $out $key) $value) | fromYaml).value -}}
{{- else -}}
{{- $_ := set $out $key $value -}}
{{- end -}}
{{- end -}}
{{- toYaml (dict "value" $out) -}}
{{- else if and (kindIs "slice" $left) (kindIs "slice" $right) -}}
{{- toYaml (dict "value" (concat $left $right)) -}}
{{- else -}}
{{- toYaml (dict "value" (default $left $right)) -}}
{{- end -}}
{{- end -}}

{{/* Argument: a list of maps (nil entries skipped); returns merged YAML. */}}
{{- define "oc.mergeAll" -}}
{{- $out := dict -}}
{{- range $fragment := . -}}
{{- if $fragment -}}
{{- $out = (include "oc.mergePair" (list $out $fragment) | fromYaml).value -}}
{{- end -}}
{{- end -}}
{{- toYaml $out -}}
{{- end -}}

{{/* kubeletExtraArgs fragment from a label map, keys sorted. */}}
{{- define "oc.nodeLabelArgs" -}}
{{- $pairs := list -}}
{{- range $key := keys . | sortAlpha -}}
{{- $pairs = append $pairs (printf "%s=%v" $key (index $ $key)) -}}
{{- end -}}
nodeRegistration:
  kubeletExtraArgs:
    node-labels: {{ join "," $pairs | quote }}
{{- end -}}

{{/* ---------------------------------------------------------------------
  Fragments shared by control plane and workers.
--------------------------------------------------------------------- */}}

{{/* Flatcar (Ignition) settings; empty for other distributions. */}}
{{- define "oc.kubeadm.osDistro" -}}
{{- if eq .Values.osDistro "flatcar" -}}
format: ignition
initConfiguration:
  nodeRegistration:
    name: ${COREOS_OPENSTACK_HOSTNAME}
joinConfiguration:
  nodeRegistration:
    name: ${COREOS_OPENSTACK_HOSTNAME}
preKubeadmCommands:
  - export COREOS_OPENSTACK_HOSTNAME=${COREOS_OPENSTACK_HOSTNAME%.*}
  - envsubst < /etc/kubeadm.yml > /etc/kubeadm.yml.tmp
  - mv /etc/kubeadm.yml.tmp /etc/kubeadm.yml
ignition:
  containerLinuxConfig:
    additionalConfig: |
      systemd:
        units:
        - name: coreos-metadata-sshkeys@.service
          enabled: true
        - name: kubeadm.service
          enabled: true
          dropins:
          - name: 10-flatcar.conf
            contents: |
              [Unit]
              Requires=containerd.service coreos-metadata.service
              After=containerd.service coreos-metadata.service
              [Service]
              EnvironmentFile=/run/metadata/flatcar
{{- end -}}
{{- end -}}

{{/* Directories every node needs when an auth webhook is configured. */}}
{{- define "oc.kubeadm.webhookDirs" -}}
{{- if and .Values.authWebhook (ne .Values.authWebhook "none") -}}
preKubeadmCommands:
  - mkdir -p /etc/kubernetes/webhooks
  - mkdir -p /etc/kubernetes/patches
{{- if eq .Values.authWebhook "k8s-keystone-auth" }}
  - mkdir -p /etc/kubernetes/keystone-auth
{{- end }}
{{- end -}}
{{- end -}}

{{/* ---------------------------------------------------------------------
  OpenStackMachineTemplate spec, shared by the control plane and the node
  groups. Argument: dict with ctx, role (for messages), flavor, image
  (id or name), rootVolume, blockDevices, configDrive, ports,
  serverGroupId, metadata.
--------------------------------------------------------------------- */}}

{{- define "oc.machineTemplateSpec" -}}
{{- $ctx := .ctx -}}
template:
  spec:
    identityRef:
      name: {{ include "oc.credentialsSecret" $ctx }}
      cloudName: openstack
    flavor: {{ .flavor }}
    {{- with $ctx.Values.machineSSHKeyName }}
    sshKeyName: {{ . }}
    {{- end }}
    {{- if or .configDrive .blockDevices }}
    configDrive: true
    {{- end }}
    {{- with .rootVolume }}
    {{- if .diskSize }}
    rootVolume:
      sizeGiB: {{ .diskSize }}
      {{- with .volumeType }}
      type: {{ . }}
      {{- end }}
      availabilityZone: {{ include "oc.volumeZone" .availabilityZone | nindent 8 }}
    {{- end }}
    {{- end }}
    image:
      {{- if .imageId }}
      id: {{ .imageId }}
      {{- else if .imageName }}
      filter:
        name: {{ tpl .imageName $ctx }}
      {{- else }}
      {{- fail (printf "%s: an image is required: set machineImageId (a Glance image ID) or machineImage (an image name)" .role) }}
      {{- end }}
    {{- with .blockDevices }}
    additionalBlockDevices:
      {{- range $name, $device := . }}
      - name: {{ $name }}
        sizeGiB: {{ required (printf "block device %q needs a size (GiB)" $name) $device.size }}
        storage:
          type: {{ $device.type | default "Volume" }}
          volume:
            {{- with $device.volumeType }}
            type: {{ . }}
            {{- end }}
            availabilityZone: {{ include "oc.volumeZone" $device.availabilityZone | nindent 14 }}
      {{- end }}
    {{- end }}
    {{- with .ports }}
    ports: {{ include "oc.ports" . | nindent 6 }}
    {{- end }}
    {{- with .serverGroupId }}
    serverGroup:
      id: {{ . }}
    {{- end }}
    {{- with .metadata }}
    serverMetadata:
      {{- range $key, $value := . }}
      - key: {{ quote $key }}
        value: {{ quote $value }}
      {{- end }}
    {{- end }}
{{- end -}}

{{/* Volume availability zone: a named zone, or the machine's. */}}
{{- define "oc.volumeZone" -}}
{{- if . -}}
from: Name
name: {{ . }}
{{- else -}}
from: Machine
{{- end -}}
{{- end -}}

{{/* ---------------------------------------------------------------------
  Neutron filters. Values may use the older flat form (name, tags as a
  comma-separated string...); CAPO v1beta1 wants {id} or {filter: {...}}.
--------------------------------------------------------------------- */}}

{{- define "oc.neutronFilter" -}}
{{- if hasKey . "id" -}}
id: {{ .id }}
{{- else if hasKey . "filter" -}}
{{ toYaml . }}
{{- else -}}
{{- $filter := dict -}}
{{- range $key, $value := . -}}
{{- if and (has $key (list "tags" "tagsAny" "notTags" "notTagsAny")) (kindIs "string" $value) -}}
{{- $_ := set $filter $key (splitList "," $value) -}}
{{- else -}}
{{- $_ := set $filter $key $value -}}
{{- end -}}
{{- end -}}
{{ toYaml (dict "filter" $filter) }}
{{- end -}}
{{- end -}}

{{/* CAPO ports with their network filters converted. */}}
{{- define "oc.ports" -}}
{{- $ports := list -}}
{{- range $port := . -}}
{{- $port = deepCopy (default dict $port) -}}
{{- if $port.network -}}
{{- $_ := set $port "network" (include "oc.neutronFilter" $port.network | fromYaml) -}}
{{- end -}}
{{- $ports = append $ports $port -}}
{{- end -}}
{{ toYaml $ports }}
{{- end -}}

{{/* Template name: "<release>-<part>-<first 8 hex of the spec hash>".
     Templates are immutable in CAPI, so a changed spec gets a new name.
     Argument: (list $ctx part spec-yaml). */}}
{{- define "oc.hashedName" -}}
{{- include "oc.name" (list (index . 0) (index . 1)) }}-{{ index . 2 | sha256sum | trunc 8 }}
{{- end -}}

{{/* OVN load balancers send traffic straight to the NodePorts of the
     workers, so those ports must be open; returns {"rules": [...]}. */}}
{{- define "oc.ovnNodePortRules" -}}
rules:
{{- range $protocol := list "TCP" "UDP" }}
  - name: Worker nodePort {{ $protocol }}
    remoteIPPrefix: 0.0.0.0/0
    protocol: {{ lower $protocol }}
    direction: ingress
    etherType: IPv4
    portRangeMin: 30000
    portRangeMax: 32767
{{- end }}
{{- end -}}
