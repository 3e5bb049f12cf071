{{/* Helpers of node-groups.yaml. */}}

{{- define "oc.nodeGroup.machineSpec" -}}
{{- $ctx := index . 0 -}}
{{- $group := index . 1 -}}
{{-
  include "oc.machineTemplateSpec" (dict
    "ctx" $ctx
    "role" (printf "nodeGroups %s" $group.name)
    "flavor" $group.machineFlavor
    "imageId" ($group.machineImageId | default $ctx.Values.machineImageId)
    "imageName" (and (not $group.machineImageId) ($group.machineImage | default $ctx.Values.machineImage))
    "rootVolume" $group.machineRootVolume
    "blockDevices" $group.additionalBlockDevices
    "configDrive" $group.machineConfigDrive
    "ports" ($group.machineNetworking | default dict).ports
    "serverGroupId" $group.serverGroupId
    "metadata" (merge (deepCopy ($group.machineMetadata | default dict)) ($ctx.Values.machineMetadata | default dict))
  )
-}}
{{- end -}}

{{- /* Node labels become kubelet --node-labels, always including the
       node-group label; the group's kubeadmConfigSpec (taints...) is
       merged in. */ -}}
{{- define "oc.nodeGroup.kubeadmConfigSpec" -}}
{{- $ctx := index . 0 -}}
{{- $group := index . 1 -}}
{{- $labels := merge (deepCopy ($group.nodeLabels | default dict)) (dict (printf "%s/node-group" $ctx.Values.projectPrefix) $group.name) -}}
{{-
  include "oc.mergeAll" (list
    (dict "joinConfiguration" (include "oc.nodeLabelArgs" $labels | fromYaml))
    ($group.kubeadmConfigSpec | default dict)
    (omit (include "oc.kubeadm.osDistro" $ctx | fromYaml) "initConfiguration")
    (include "oc.kubeadm.webhookDirs" $ctx | fromYaml)
  )
-}}
{{- end -}}
