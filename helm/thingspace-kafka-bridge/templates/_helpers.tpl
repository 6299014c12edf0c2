{{/*
Names and labels, as `helm create` makes them.
*/}}
{{- define "tkb.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "tkb.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "tkb.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "tkb.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tkb.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "tkb.labels" -}}
{{ include "tkb.selectorLabels" . }}
{{ include "tkb.releaseLabels" . }}
{{- end }}

{{/* What every object of the release carries besides its selector labels. */}}
{{- define "tkb.releaseLabels" -}}
helm.sh/chart: {{ include "tkb.chart" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | trunc 63 | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: thingspace-kafka-bridge
{{- end }}

{{/*
The dedupe nodes (dedupe.enabled): a name of their own, so that nothing selecting the bridge's pods (its Services,
PodDisruptionBudget, NetworkPolicy, ServiceMonitor) ever selects them. The StatefulSet's name is cut to 52
characters: its pods carry a controller-revision-hash label of the name plus 11 characters, at most 63.
*/}}
{{- define "tkb.dedupeName" -}}
{{- printf "%s-dedupe" (include "tkb.fullname" . | trunc 45 | trimSuffix "-") }}
{{- end }}

{{- define "tkb.dedupeSelectorLabels" -}}
app.kubernetes.io/name: {{ include "tkb.name" . | trunc 56 | trimSuffix "-" }}-dedupe
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "tkb.dedupeLabels" -}}
{{ include "tkb.dedupeSelectorLabels" . }}
app.kubernetes.io/component: dedupe
{{ include "tkb.releaseLabels" . }}
{{- end }}

{{/* The dedupe node's port (config dedupe.port, its default 8080): /metrics, /healthz and /readyz. */}}
{{- define "tkb.dedupePort" -}}
{{- dig "dedupe" "port" 8080 (.Values.config | default dict) | int }}
{{- end }}

{{- define "tkb.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "tkb.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "tkb.image" -}}
{{- $tag := .Values.image.tag | default .Chart.AppVersion }}
{{- if .Values.image.digest }}
{{- printf "%s:%s@%s" .Values.image.repository $tag .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}
{{- end }}

{{/* The workload's kind: a StatefulSet when each pod keeps a spool on its own volume. */}}
{{- define "tkb.workloadKind" -}}
{{- if .Values.spool.enabled }}StatefulSet{{ else }}Deployment{{ end }}
{{- end }}

{{/* Where the config and the secrets are mounted (docs: values.yaml `config`, `secrets`). */}}
{{- define "tkb.configDir" -}}/etc/thingspace-bridge/config{{- end }}
{{- define "tkb.secretsDir" -}}/etc/thingspace-bridge/secrets{{- end }}
{{- define "tkb.tlsDir" -}}/etc/thingspace-bridge/tls{{- end }}

{{/* The Secret mounted at secretsDir: existingSecret, the chart's own, or none. */}}
{{- define "tkb.secretName" -}}
{{- if and .Values.existingSecret .Values.secrets }}
{{- fail "give either existingSecret or secrets, not both" }}
{{- end }}
{{- if .Values.existingSecret }}
{{- .Values.existingSecret }}
{{- else if .Values.secrets }}
{{- include "tkb.fullname" . }}
{{- end }}
{{- end }}

{{/*
The bridge's config file: `config` as given, with spool.enabled, spool.dir and spool.maxBytes from the chart's
spool values (the workload kind and the volume depend on them); other spool keys (fsync, ...) pass through. With
dedupe.enabled, dedupe.stateDir from the chart's (the volume's mount); the dedupe nodes read the same file.
Numbers go through toYaml (JSON underneath), so large integers stay integers.
*/}}
{{- define "tkb.config" -}}
{{- $config := deepCopy (.Values.config | default dict) }}
{{- $spool := get $config "spool" | default dict }}
{{- range $key := list "enabled" "dir" "maxBytes" }}
{{- if hasKey $spool $key }}
{{- fail (printf "config.spool.%s: set the chart's spool.%s instead (spool.enabled also switches to a StatefulSet with a volume per pod)" $key $key) }}
{{- end }}
{{- end }}
{{- $dedupe := get $config "dedupe" | default dict }}
{{- if hasKey $dedupe "stateDir" }}
{{- fail "config.dedupe.stateDir: set the chart's dedupe.stateDir instead (it is the mount of each dedupe pod's volume)" }}
{{- end }}
{{- if hasKey $dedupe "instanceId" }}
{{- fail "config.dedupe.instanceId: the chart gives each dedupe pod its own name as its instance id (DEDUPE_INSTANCE_ID); one id shared by several pods would have them fence each other" }}
{{- end }}
{{- if .Values.dedupe.enabled }}
{{- $_ := set $config "dedupe" (merge (dict "stateDir" .Values.dedupe.stateDir) $dedupe) }}
{{- end }}
{{- if .Values.spool.enabled }}
{{- $_ := set $config "spool" (merge (dict "enabled" true "dir" .Values.spool.dir "maxBytes" (int64 .Values.spool.maxBytes)) $spool) }}
{{- end }}
{{- if .Values.tls.secretName }}
{{- $http := get $config "http" | default dict }}
{{- $tls := get $http "tls" | default dict }}
{{- range $key := list "certFile" "keyFile" "chainFile" }}
{{- if hasKey $tls $key }}
{{- fail (printf "config.http.tls.%s: tls.secretName gives the files already; drop one of the two (config.http.tls alone, with files you mount, or the chart's tls values)" $key) }}
{{- end }}
{{- end }}
{{- $dir := include "tkb.tlsDir" . }}
{{- $files := dict "certFile" (printf "%s/tls.crt" $dir) "keyFile" (printf "%s/tls.key" $dir) }}
{{- with .Values.tls.chainKey }}
{{- $_ := set $files "chainFile" (printf "%s/%s" $dir .) }}
{{- end }}
{{- $_ := set $http "tls" (merge $files $tls) }}
{{- $_ := set $config "http" $http }}
{{- end }}
{{- toYaml $config }}
{{- end }}

{{/*
Whether the main and per-service listeners speak HTTPS: the chart's tls.secretName, or config.http.tls written by
hand. "true" or empty.
*/}}
{{- define "tkb.tlsOn" -}}
{{- if or .Values.tls.secretName (dig "http" "tls" nil (.Values.config | default dict)) }}true{{ end }}
{{- end }}

{{/* Port of the main listener: config http.port, the bridge's default 8080 otherwise. */}}
{{- define "tkb.mainPort" -}}
{{- dig "http" "port" 8080 (.Values.config | default dict) | int }}
{{- end }}

{{/*
The probes' port: the health port (config http.healthPort: a worker thread that answers however busy the node
is, so a liveness probe does not kill a node that is only overloaded) when set, else the main listener.
*/}}
{{- define "tkb.probePort" -}}
{{- if dig "http" "healthPort" nil (.Values.config | default dict) }}health{{ else }}http{{ end }}
{{- end }}

{{/* The probes' scheme: the health port is plain HTTP always; the main listener is HTTPS under TLS. */}}
{{- define "tkb.probeScheme" -}}
{{- if and (eq (include "tkb.probePort" .) "http") (include "tkb.tlsOn" .) }}HTTPS{{ else }}HTTP{{ end }}
{{- end }}

{{/* The metrics port (config http.metricsPort): /metrics alone, plain HTTP; empty when unset. */}}
{{- define "tkb.metricsPort" -}}
{{- with dig "http" "metricsPort" nil (.Values.config | default dict) }}{{ . | int }}{{ end }}
{{- end }}

{{/*
The per-service listeners (config services.<name>.port of enabled services) as a YAML list of {name, port,
service}. Port names are the service name in lower case cut to 15 characters (the IANA_SVC_NAME limit):
carrierservice, smsdeliveryconf, externalprovisi, ...
*/}}
{{- define "tkb.servicePorts" -}}
{{- $ports := list }}
{{- $names := dict }}
{{- $numbers := dict (include "tkb.mainPort" .) "http.port" }}
{{- $services := dig "services" dict (.Values.config | default dict) }}
{{- range $service := keys $services | sortAlpha }}
{{- $options := get $services $service | default dict }}
{{- if and (hasKey $options "port") (ne (toString (get $options "enabled")) "false") }}
{{- $port := get $options "port" | int }}
{{- $name := lower $service | trunc 15 | trimSuffix "-" }}
{{- if hasKey $names $name }}
{{- fail (printf "services.%s and services.%s give the same port name %q: keep one spelling per service" (get $names $name) $service $name) }}
{{- end }}
{{- if hasKey $numbers (toString $port) }}
{{- fail (printf "config.services.%s.port %d is already the port of %s" $service $port (get $numbers (toString $port))) }}
{{- end }}
{{- $_ := set $names $name $service }}
{{- $_ := set $numbers (toString $port) (printf "services.%s" $service) }}
{{- $ports = append $ports (dict "name" $name "port" $port "service" $service) }}
{{- end }}
{{- end }}
{{- toYaml $ports }}
{{- end }}

{{/*
terminationGracePeriodSeconds: above the preStop sleep plus the bridge's own shutdown grace (config
http.shutdownGraceMs, default 25 s, src/config/schema.ts), so SIGKILL never cuts a drain short.
*/}}
{{- define "tkb.minGraceSeconds" -}}
{{- $graceMs := dig "http" "shutdownGraceMs" 25000 (.Values.config | default dict) | int64 }}
{{- add (div (add $graceMs 999) 1000) (.Values.preStopSleepSeconds | int64) }}
{{- end }}

{{- define "tkb.terminationGracePeriodSeconds" -}}
{{- $min := include "tkb.minGraceSeconds" . | int64 }}
{{- if eq (toString .Values.terminationGracePeriodSeconds) "" }}
{{- add $min 5 }}
{{- else if le (.Values.terminationGracePeriodSeconds | int64) $min }}
{{- fail (printf "terminationGracePeriodSeconds %v must be above preStopSleepSeconds + http.shutdownGraceMs in seconds (%d)" .Values.terminationGracePeriodSeconds $min) }}
{{- else }}
{{- .Values.terminationGracePeriodSeconds | int64 }}
{{- end }}
{{- end }}

{{/*
What every pod of the release shares, the bridge's and the dedupe nodes': the checksums that roll them when the
config or the chart's Secret changes (the argument: the root context), and the pod-level settings.
*/}}
{{- define "tkb.configChecksums" -}}
# The config and the secrets are read once, at start: a change rolls the pods.
checksum/config: {{ include "tkb.config" . | sha256sum }}
{{- if .Values.secrets }}
checksum/secrets: {{ toJson .Values.secrets | sha256sum }}
{{- end }}
{{- end }}

{{/*
The argument: dict "root" $, "selector" (the pods' selector labels, for the spread constraints) and "kind"
(Deployment or StatefulSet: only a Deployment's pods spread by pod-template-hash too).
*/}}
{{- define "tkb.podSettings" -}}
{{- $root := .root -}}
serviceAccountName: {{ include "tkb.serviceAccountName" $root }}
automountServiceAccountToken: false
# No *_PORT variables for the namespace's Services: a Service named `bridge` would otherwise set BRIDGE_PORT
# (tcp://...), which the bridge reads as its port and refuses.
enableServiceLinks: false
{{- with $root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml $root.Values.podSecurityContext | nindent 2 }}
{{- with $root.Values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with $root.Values.topologySpreadConstraints }}
topologySpreadConstraints:
  {{- range . }}
  - {{ toYaml (omit . "labelSelector" "matchLabelKeys") | nindent 4 | trim }}
    labelSelector:
      {{- if .labelSelector }}
      {{- toYaml .labelSelector | nindent 6 }}
      {{- else }}
      matchLabels:
        {{- $.selector | nindent 8 }}
      {{- end }}
    {{- if .matchLabelKeys }}
    matchLabelKeys:
      {{- toYaml .matchLabelKeys | nindent 6 }}
    {{- else if eq $.kind "Deployment" }}
    matchLabelKeys: [pod-template-hash]
    {{- end }}
  {{- end }}
{{- end }}
{{- with $root.Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $root.Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $root.Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/*
The container's image, the config file's path, extraEnv, the workload's own variables (`own`, list items already
written, after extraEnv so that they win) and extraEnvFrom. The argument: dict "root" $ "own" <YAML>.
*/}}
{{- define "tkb.containerConfig" -}}
{{- $root := .root -}}
image: {{ include "tkb.image" $root | quote }}
imagePullPolicy: {{ $root.Values.image.pullPolicy }}
env:
  - name: BRIDGE_CONFIG
    value: {{ include "tkb.configDir" $root }}/bridge.yaml
  {{- with $root.Values.extraEnv }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
  {{- with .own }}
  {{- . | nindent 2 }}
  {{- end }}
{{- with $root.Values.extraEnvFrom }}
envFrom:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/*
The container's mounts and the pod's volumes: the config, the secrets, a scratch /tmp, the workload's own (`own`,
list items already written) and extraVolumeMounts / extraVolumes. The argument: dict "root" $ "own" <YAML>.
*/}}
{{- define "tkb.volumeMounts" -}}
{{- $root := .root -}}
- name: config
  mountPath: {{ include "tkb.configDir" $root }}
  readOnly: true
{{- if include "tkb.secretName" $root }}
- name: secrets
  mountPath: {{ include "tkb.secretsDir" $root }}
  readOnly: true
{{- end }}
- name: tmp
  mountPath: /tmp
{{- with .own }}
{{ . }}
{{- end }}
{{- with $root.Values.extraVolumeMounts }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "tkb.volumes" -}}
{{- $root := .root -}}
{{- $secretName := include "tkb.secretName" $root -}}
- name: config
  configMap:
    name: {{ include "tkb.fullname" $root }}
{{- if $secretName }}
- name: secrets
  secret:
    secretName: {{ $secretName }}
    # Readable by the pod's fsGroup (the bridge's group), nobody else.
    defaultMode: 288 # 0440, written in decimal: YAML 1.2 readers take 0440 for 440
{{- end }}
# The root filesystem is read-only; a small scratch /tmp for anything that expects one.
- name: tmp
  emptyDir:
    sizeLimit: 16Mi
{{- with .own }}
{{ . }}
{{- end }}
{{- with $root.Values.extraVolumes }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* The bridge's pod template, of the Deployment or the StatefulSet. */}}
{{- define "tkb.podTemplate" -}}
{{- $kind := include "tkb.workloadKind" . -}}
metadata:
  labels:
    {{- include "tkb.selectorLabels" . | nindent 4 }}
    {{- with .Values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  annotations:
    {{- include "tkb.configChecksums" . | nindent 4 }}
    {{- with .Values.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  {{- include "tkb.podSettings" (dict "root" . "selector" (include "tkb.selectorLabels" .) "kind" $kind) | nindent 2 }}
  terminationGracePeriodSeconds: {{ include "tkb.terminationGracePeriodSeconds" . }}
  containers:
    - name: bridge
      {{- include "tkb.containerConfig" (dict "root" . "own" "") | nindent 6 }}
      args: [serve]
      ports:
        - name: http
          containerPort: {{ include "tkb.mainPort" . }}
          protocol: TCP
        {{- range include "tkb.servicePorts" . | fromYamlArray }}
        - name: {{ .name }}
          containerPort: {{ .port }}
          protocol: TCP
        {{- end }}
        {{- with dig "http" "healthPort" nil (.Values.config | default dict) }}
        - name: health
          containerPort: {{ . | int }}
          protocol: TCP
        {{- end }}
        {{- with include "tkb.metricsPort" . }}
        - name: metrics
          containerPort: {{ . }}
          protocol: TCP
        {{- end }}
      # The kubelet does not verify the certificate of an HTTPS probe: the public name it carries is no matter.
      livenessProbe:
        httpGet:
          path: /healthz
          port: {{ include "tkb.probePort" . }}
          scheme: {{ include "tkb.probeScheme" . }}
        {{- toYaml .Values.livenessProbe | nindent 8 }}
      readinessProbe:
        httpGet:
          path: /readyz
          port: {{ include "tkb.probePort" . }}
          scheme: {{ include "tkb.probeScheme" . }}
        {{- toYaml .Values.readinessProbe | nindent 8 }}
      {{- if gt (.Values.preStopSleepSeconds | int) 0 }}
      lifecycle:
        preStop:
          exec:
            command: [sleep, {{ .Values.preStopSleepSeconds | int | quote }}]
      {{- end }}
      resources:
        {{- toYaml .Values.resources | nindent 8 }}
      securityContext:
        {{- toYaml .Values.securityContext | nindent 8 }}
      {{- $mounts := list }}
      {{- if .Values.tls.secretName }}
      {{- /* The whole volume, never a subPath: only then does the kubelet's update of a renewed Secret reach the
      files, which the bridge then reloads without a restart. */}}
      {{- $mounts = append $mounts (dict "name" "tls" "mountPath" (include "tkb.tlsDir" .) "readOnly" true) }}
      {{- end }}
      {{- if .Values.spool.enabled }}
      {{- $mounts = append $mounts (dict "name" "spool" "mountPath" .Values.spool.dir) }}
      {{- end }}
      volumeMounts:
        {{- include "tkb.volumeMounts" (dict "root" . "own" (ternary "" (toYaml $mounts) (empty $mounts))) | nindent 8 }}
  volumes:
    {{- $volumes := list }}
    {{- with .Values.tls.secretName }}
    {{- /* Mode 0440, as the secrets'. */}}
    {{- $volumes = append $volumes (dict "name" "tls" "secret" (dict "secretName" . "defaultMode" 288)) }}
    {{- end }}
    {{- include "tkb.volumes" (dict "root" . "own" (ternary "" (toYaml $volumes) (empty $volumes))) | nindent 4 }}
{{- end }}

{{/*
A PodDisruptionBudget: the bridge's and the dedupe nodes'. The argument: dict "name", "labels", "selector" (YAML),
"minAvailable" (empty: maxUnavailable applies), "maxUnavailable".
*/}}
{{- define "tkb.pdb" -}}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ .name }}
  labels:
    {{- .labels | nindent 4 }}
spec:
  selector:
    matchLabels:
      {{- .selector | nindent 6 }}
  {{- if ne (toString .minAvailable) "" }}
  minAvailable: {{ .minAvailable }}
  {{- else }}
  maxUnavailable: {{ .maxUnavailable }}
  {{- end }}
{{- end }}

{{/* The NetworkPolicies' egress (with networkPolicy.egress.enabled): DNS, then the rules given. */}}
{{- define "tkb.networkPolicyEgress" -}}
egress:
  # Name resolution for the brokers and the registry.
  - ports:
      - port: 53
        protocol: UDP
      - port: 53
        protocol: TCP
  {{- with .Values.networkPolicy.egress.rules }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end }}

{{/*
PromQL label matchers picking this release's series in the alerts: prometheusRule.selector, or the labels the
ServiceMonitor's scrape gives them (namespace, and job: the Service's name).
*/}}
{{- define "tkb.ruleSelector" -}}
{{- .Values.prometheusRule.selector | default (printf "namespace=%q, job=%q" .Release.Namespace (include "tkb.scrapedService" .)) }}
{{- end }}

{{/* The same for the dedupe nodes: prometheusRule.dedupeSelector, or their ServiceMonitor's namespace and job. */}}
{{- define "tkb.dedupeRuleSelector" -}}
{{- .Values.prometheusRule.dedupeSelector | default (printf "namespace=%q, job=%q" .Release.Namespace (include "tkb.dedupeName" .)) }}
{{- end }}

{{/*
The Service the ServiceMonitor scrapes, whose name becomes the series' job: the main one (port http), or with
config.http.metricsPort the metrics Service (port metrics).
*/}}
{{- define "tkb.scrapedService" -}}
{{- include "tkb.fullname" . }}{{ if include "tkb.metricsPort" . }}-metrics{{ end }}
{{- end }}

{{/* Labels of the helm test pod: the chart's without the selector's, so the Service never sends it callbacks. */}}
{{- define "tkb.testLabels" -}}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: helm-test
{{ include "tkb.releaseLabels" . }}
{{- end }}
