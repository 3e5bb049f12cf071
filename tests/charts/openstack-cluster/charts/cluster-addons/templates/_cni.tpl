{{/* Helpers of cni.yaml. */}}

{{- define "addons.cni.calicoDefaults" -}}
installation:
  nodeMetricsPort: 9091
  typhaMetricsPort: 9093
  calicoNetwork:
    bgp: Disabled
    nodeAddressAutodetectionV4:
      kubernetes: NodeInternalIP
    ipPools:
{% for cidr in cluster.spec.clusterNetwork.pods.cidrBlocks %}
      - cidr: {{ "{{" }} cidr {{ "}}" }}
        blockSize: 26
        encapsulation: VXLAN
        natOutgoing: Enabled
        nodeSelector: all()
        disableBGPExport: false
{% endfor %}
{{- end -}}

{{- /* Deny egress to the metadata service outside openstack-system,
       allow everything else. Argument: (list $ctx policy). */ -}}
{{- define "addons.cni.calicoPolicies" -}}
{{- $ctx := index . 0 -}}
{{- $policy := index . 1 -}}
{{- range $rule := list (list "deny" "Deny" $policy.denyPriority $policy.denyEgressCidrs $policy.denyv6EgressCidrs) (list "allow-global" "Allow" $policy.allowPriority $policy.allowEgressCidrs $policy.allowv6EgressCidrs) }}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: default.{{ include "addons.name" (list $ctx (printf "%s-egress" (index $rule 0))) }}
spec:
  order: {{ index $rule 2 }}
  {{- if eq (index $rule 1) "Deny" }}
  namespaceSelector: {{ $policy.denyNamespaceSelector }}
  {{- end }}
  types: [Egress]
  egress:
    - action: {{ index $rule 1 }}
      ipVersion: 4
      destination:
        nets: {{ toYaml (index $rule 3) | nindent 10 }}
    - action: {{ index $rule 1 }}
      ipVersion: 6
      destination:
        nets: {{ toYaml (index $rule 4) | nindent 10 }}
{{- end }}
{{- end -}}

{{- /* A headless Service and ServiceMonitor for one Calico component;
       argument: (list component port). */ -}}
{{- define "addons.cni.calicoMonitor" -}}
{{- $component := index . 0 -}}
{{- $name := printf "cni-calico-monitoring-%s" $component -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ $name }}
  namespace: calico-system
  labels:
    app.kubernetes.io/name: cni-calico-monitoring
    app.kubernetes.io/component: {{ $component }}
spec:
  clusterIP: None
  ports:
    - name: metrics-port
      port: {{ index . 1 }}
  selector:
    k8s-app: calico-{{ $component }}
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {{ $name }}
  namespace: calico-system
spec:
  endpoints:
    - port: metrics-port
  namespaceSelector:
    matchNames: [calico-system]
  selector:
    matchLabels:
      app.kubernetes.io/name: cni-calico-monitoring
      app.kubernetes.io/component: {{ $component }}
{{- end -}}

{{- /* Cilium with Kubernetes IPAM (pod CIDRs from the Cluster); with the
       kube-proxy replacement it must be told where the API server is. */ -}}
{{- define "addons.cni.ciliumDefaults" -}}
ipam:
  mode: kubernetes
{{- if dig "kubeProxyReplacement" true .Values.cni.cilium.release.values }}
kubeProxyReplacement: true
k8sServiceHost: {{ "{{" }} cluster.spec.controlPlaneEndpoint.host {{ "}}" }}
k8sServicePort: {{ "{{" }} cluster.spec.controlPlaneEndpoint.port {{ "}}" }}
{{- end }}
{{- end -}}
