{{/* Helpers of control-plane.yaml. */}}

{{- define "oc.controlPlane.machineSpec" -}}
{{- $cp := .Values.controlPlane -}}
{{- if not $cp.machineFlavor -}}
{{- fail "controlPlane.machineFlavor is required (a Nova flavor name or ID)" -}}
{{- end -}}
{{- $devices := deepCopy ($cp.additionalBlockDevices | default dict) -}}
{{- with .Values.etcd.blockDevice -}}
{{- $_ := set $devices "etcd" . -}}
{{- end -}}
{{-
  include "oc.machineTemplateSpec" (dict
    "ctx" .
    "role" "controlPlane"
    "flavor" $cp.machineFlavor
    "imageId" ($cp.machineImageId | default .Values.machineImageId)
    "imageName" (and (not $cp.machineImageId) ($cp.machineImage | default .Values.machineImage))
    "rootVolume" $cp.machineRootVolume
    "blockDevices" $devices
    "configDrive" $cp.machineConfigDrive
    "ports" $cp.machineNetworking.ports
    "serverGroupId" $cp.serverGroupId
    "metadata" (merge (deepCopy ($cp.machineMetadata | default dict)) (.Values.machineMetadata | default dict))
  )
-}}
{{- end -}}

{{- define "oc.controlPlane.kubeadmConfigSpec" -}}
{{- $cp := .Values.controlPlane -}}
{{- $user := $cp.kubeadmConfigSpec | default dict -}}
{{-
  include "oc.mergeAll" (list
    (include "oc.controlPlane.nodeLabels" . | fromYaml)
    (include "oc.controlPlane.etcd" . | fromYaml)
    (include "oc.controlPlane.cilium" . | fromYaml)
    (include "oc.controlPlane.admission" . | fromYaml)
    (omit $user "kubeProxyConfiguration")
    (include "oc.kubeadm.osDistro" . | fromYaml)
    (include "oc.controlPlane.apiServer" . | fromYaml)
    (include "oc.kubeadm.webhookDirs" . | fromYaml)
    (include "oc.controlPlane.keystoneAuth" . | fromYaml)
    (include "oc.controlPlane.kubeProxy" . | fromYaml)
  )
-}}
{{- end -}}

{{- define "oc.controlPlane.nodeLabels" -}}
{{- with .Values.controlPlane.nodeLabels -}}
initConfiguration: {{ include "oc.nodeLabelArgs" . | nindent 2 }}
joinConfiguration: {{ include "oc.nodeLabelArgs" . | nindent 2 }}
{{- end -}}
{{- end -}}

{{- define "oc.controlPlane.etcd" -}}
{{- $etcd := .Values.etcd -}}
clusterConfiguration:
  etcd:
    local:
      dataDir: {{ $etcd.dataDir }}
      extraArgs: {{ toYaml $etcd.extraArgs | nindent 8 }}
{{- if $etcd.blockDevice }}
{{- $preflight := printf "diravailable-%s" (replace "/" "-" $etcd.dataDir) }}
initConfiguration:
  nodeRegistration:
    ignorePreflightErrors: [{{ $preflight }}]
joinConfiguration:
  nodeRegistration:
    ignorePreflightErrors: [{{ $preflight }}]
diskSetup:
  filesystems:
    - device: /dev/disk/openstack/by-tag/etcd
      filesystem: ext4
      label: etcd_disk
mounts:
  - [LABEL=etcd_disk, {{ $etcd.dataDir }}]
{{- end }}
{{- end -}}

{{- /* Cilium's kube-proxy replacement (its default) needs kubeadm to skip
       installing kube-proxy. */ -}}
{{- define "oc.controlPlane.cilium" -}}
{{- $addons := .Values.addons | default dict -}}
{{- if and $addons.enabled (dig "cni" "enabled" true $addons) (eq (dig "cni" "type" "calico" $addons) "cilium") (dig "cni" "cilium" "release" "values" "kubeProxyReplacement" true $addons) -}}
initConfiguration:
  skipPhases:
    - addon/kube-proxy
{{- end -}}
{{- end -}}

{{- define "oc.controlPlane.admission" -}}
files:
  - path: /etc/kubernetes/admission/configuration.yaml
    contentFrom:
      secret:
        name: {{ include "oc.name" (list . "admission-configuration") }}
        key: admission-configuration.yaml
    owner: root:root
    permissions: "0644"
clusterConfiguration:
  apiServer:
    extraArgs:
      admission-control-config-file: /etc/kubernetes/admission/configuration.yaml
    extraVolumes:
      - name: admission-configuration
        hostPath: /etc/kubernetes/admission
        mountPath: /etc/kubernetes/admission
        readOnly: true
        pathType: Directory
{{- end -}}

{{- define "oc.controlPlane.apiServer" -}}
clusterConfiguration:
  apiServer:
    extraArgs:
      v: {{ .Values.apiServer.logLevel | quote }}
{{- if and .Values.authWebhook (ne .Values.authWebhook "none") }}
initConfiguration:
  patches:
    directory: /etc/kubernetes/patches
joinConfiguration:
  patches:
    directory: /etc/kubernetes/patches
{{- end }}
{{- end -}}

{{- /* k8s-keystone-auth: the API server asks the in-cluster webhook (run by
       the k8s-keystone-auth add-on on port 8443) to authenticate and
       authorize; kustomize adds the flags to the static pod manifest. */ -}}
{{- define "oc.controlPlane.keystoneAuth" -}}
{{- if eq (.Values.authWebhook | default "none") "k8s-keystone-auth" -}}
postKubeadmCommands:
  - cp /etc/kubernetes/manifests/kube-apiserver.yaml /etc/kubernetes/keystone-auth/kube-apiserver.yaml
  - kubectl kustomize /etc/kubernetes/keystone-auth -o /etc/kubernetes/manifests/kube-apiserver.yaml
files:
  - path: /etc/kubernetes/patches/kube-apiserver0+strategic.yaml
    owner: root:root
    permissions: "0644"
    content: |
      spec:
        containers:
          - name: kube-apiserver
            volumeMounts:
              - name: kube-webhooks
                mountPath: /etc/kubernetes/webhooks
                readOnly: true
        volumes:
          - name: kube-webhooks
            hostPath:
              path: /etc/kubernetes/webhooks
              type: DirectoryOrCreate
  - path: /etc/kubernetes/keystone-auth/kustomization.yml
    owner: root:root
    permissions: "0644"
    content: |
      resources:
        - kube-apiserver.yaml
      patches:
        - target:
            kind: Pod
          patch: |-
            {{- range $flag := list "authentication-token-webhook-config-file" "authorization-webhook-config-file" }}
            - op: add
              path: /spec/containers/0/command/-
              value: --{{ $flag }}=/etc/kubernetes/webhooks/keystone_webhook_config.yaml
            {{- end }}
            - op: add
              path: /spec/containers/0/command/-
              value: --authorization-mode=Webhook
  - path: /etc/kubernetes/webhooks/keystone_webhook_config.yaml
    owner: root:root
    permissions: "0644"
    content: |
      apiVersion: v1
      kind: Config
      clusters:
        - name: webhook
          cluster:
            server: https://127.0.0.1:8443/webhook
            insecure-skip-tls-verify: true
      users:
        - name: webhook
      contexts:
        - name: webhook
          context:
            cluster: webhook
            user: webhook
      current-context: webhook
{{- end -}}
{{- end -}}

{{- /* kubeadm has no field for kube-proxy settings: append a
       KubeProxyConfiguration document to kubeadm's own file. */ -}}
{{- define "oc.controlPlane.kubeProxy" -}}
{{- with (.Values.controlPlane.kubeadmConfigSpec | default dict).kubeProxyConfiguration -}}
{{- $flatcar := eq $.Values.osDistro "flatcar" -}}
{{- $file := ternary "/etc/kube-proxy-configuration.yaml" "/run/kubeadm/kube-proxy-configuration.yaml" $flatcar -}}
{{- $kubeadm := ternary "/etc/kubeadm.yml" "/run/kubeadm/kubeadm.yaml" $flatcar -}}
files:
  - path: {{ $file }}
    owner: root:root
    permissions: "0644"
    content: |
      ---
      {{- toYaml (merge (dict "apiVersion" "kubeproxy.config.k8s.io/v1alpha1" "kind" "KubeProxyConfiguration") .) | nindent 6 }}
preKubeadmCommands:
  - cat {{ $file }} >> {{ $kubeadm }}
{{- end -}}
{{- end -}}
