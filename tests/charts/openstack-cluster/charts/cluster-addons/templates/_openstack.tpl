{{/* Helpers of openstack.yaml. */}}

{{- /* The cloud-config Secret on the workload cluster. Jinja ({% %} and
       the escaped braces) is evaluated by the addon provider with
       cloud_identity (the credentials Secret) and infra_cluster (the
       OpenStackCluster). Without a cacert, TLS is not verified. */ -}}
{{- define "addons.openstack.cloudConfig" -}}
{{- $config := .Values.openstack.cloudConfig | default dict -}}
{{- $networking := $config.Networking | default dict -}}
{{- $lb := $config.LoadBalancer | default dict -}}
apiVersion: v1
kind: Secret
metadata:
  name: cloud-config
data:
  {{ "{{" }} cloud_identity.data | toyaml | indent(2) {{ "}}" }}
stringData:
  cloud.conf: |
    [Global]
    use-clouds=true
    clouds-file=/etc/config/clouds.yaml
    cloud=openstack
{%- if "cacert" in cloud_identity.data %}
    ca-file=/etc/config/cacert
{%- else %}
    tls-insecure=true
{%- endif %}
    [Networking]
    {{- if hasKey $networking "internal-network-name" }}
    internal-network-name={{ index $networking "internal-network-name" }}
    {{- else }}
    internal-network-name={{ "{{" }} infra_cluster.status.network.name {{ "}}" }}
    {{- end }}
    {{- range $key, $value := omit $networking "internal-network-name" }}
    {{ $key }}={{ $value }}
    {{- end }}
    [LoadBalancer]
    {{- if hasKey $lb "floating-network-id" }}
    floating-network-id={{ index $lb "floating-network-id" }}
    {{- else }}
{%- if "externalNetwork" in infra_cluster.status %}
    floating-network-id={{ "{{" }} infra_cluster.status.externalNetwork.id {{ "}}" }}
{%- endif %}
    {{- end }}
    {{- range $key, $value := omit $lb "floating-network-id" }}
    {{ $key }}={{ $value }}
    {{- end }}
    {{- range $section, $items := omit $config "Global" "LoadBalancer" "Networking" }}
    [{{ $section }}]
    {{- range $key, $value := $items }}
    {{ $key }}={{ $value }}
    {{- end }}
    {{- end }}
{{- end -}}

{{- define "addons.openstack.ccmDefaults" -}}
secret:
  create: false
cluster:
  name: {{ include "addons.clusterName" . }}
controllerExtraArgs: |-
  - --use-service-account-credentials=false
nodeSelector:
  node-role.kubernetes.io/control-plane: ""
tolerations:
  - key: node.cloudprovider.kubernetes.io/uninitialized
    value: "true"
    effect: NoSchedule
  - key: node-role.kubernetes.io/master
    effect: NoSchedule
  - key: node-role.kubernetes.io/control-plane
    effect: NoSchedule
{{- end -}}

{{- /* The chart's own storage class is off: the classes come from the
       csi-cinder-storageclass Manifests instead. */ -}}
{{- define "addons.openstack.cinderDefaults" -}}
csi:
  plugin:
    volumes:
      - name: cacert
        emptyDir: {}
    volumeMounts:
      - name: cloud-config
        mountPath: /etc/config
        readOnly: true
      - name: cloud-config
        mountPath: /etc/kubernetes
        readOnly: true
  provisioner:
    topology: "false"
secret:
  enabled: true
  create: false
  name: cloud-config
storageClass:
  enabled: false
clusterID: {{ include "addons.clusterName" . }}
{{- end -}}

{{- /* One Cinder StorageClass; argument: (list class isDefaultEntry). Only
       the default entry can be the cluster default class. */ -}}
{{- define "addons.openstack.storageClass" -}}
{{- $class := index . 0 -}}
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: {{ required "addons.openstack.csiCinder storage classes need a name" $class.name }}
  {{- if and (index . 1) $class.isClusterDefault }}
  annotations:
    storageclass.kubernetes.io/is-default-class: "true"
  {{- end }}
provisioner: cinder.csi.openstack.org
parameters:
  availability: {{ $class.availabilityZone | default "nova" }}
  {{- with $class.volumeType }}
  type: {{ . }}
  {{- end }}
  {{- with $class.fstype }}
  fstype: {{ . }}
  {{- end }}
reclaimPolicy: {{ $class.reclaimPolicy | default "Delete" }}
allowVolumeExpansion: {{ dig "allowVolumeExpansion" true $class | ternary "true" "false" }}
volumeBindingMode: {{ $class.volumeBindingMode | default "WaitForFirstConsumer" }}
{{- with $class.allowedTopologies }}
allowedTopologies: {{ toYaml . | nindent 2 }}
{{- end }}
{{- end -}}
