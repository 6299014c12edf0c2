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
helm.sh/chart: {{ include "tkb.chart" . }}
{{ include "tkb.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | trunc 63 | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: thingspace-kafka-bridge
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
spool values (the workload kind and the volume depend on them); other spool keys (fsync, ...) pass through.
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

{{/* The pod template shared by the Deployment and the StatefulSet. */}}
{{- define "tkb.podTemplate" -}}
{{- $secretName := include "tkb.secretName" . }}
{{- $kind := include "tkb.workloadKind" . -}}
metadata:
  labels:
    {{- include "tkb.selectorLabels" . | nindent 4 }}
    {{- with .Values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  annotations:
    # The bridge reads its config and secrets once, at start: a change rolls the pods.
    checksum/config: {{ include "tkb.config" . | sha256sum }}
    {{- if .Values.secrets }}
    checksum/secrets: {{ toJson .Values.secrets | sha256sum }}
    {{- end }}
    {{- with .Values.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ include "tkb.serviceAccountName" . }}
  automountServiceAccountToken: false
  # No *_PORT variables for the namespace's Services: a Service named `bridge` would otherwise set BRIDGE_PORT
  # (tcp://...), which the bridge reads as its port and refuses.
  enableServiceLinks: false
  {{- with .Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  securityContext:
    {{- toYaml .Values.podSecurityContext | nindent 4 }}
  terminationGracePeriodSeconds: {{ include "tkb.terminationGracePeriodSeconds" . }}
  {{- with .Values.priorityClassName }}
  priorityClassName: {{ . }}
  {{- end }}
  {{- with .Values.topologySpreadConstraints }}
  topologySpreadConstraints:
    {{- range . }}
    - {{ toYaml (omit . "labelSelector" "matchLabelKeys") | nindent 6 | trim }}
      labelSelector:
        {{- if .labelSelector }}
        {{- toYaml .labelSelector | nindent 8 }}
        {{- else }}
        matchLabels:
          {{- include "tkb.selectorLabels" $ | nindent 10 }}
        {{- end }}
      {{- if .matchLabelKeys }}
      matchLabelKeys:
        {{- toYaml .matchLabelKeys | nindent 8 }}
      {{- else if eq $kind "Deployment" }}
      matchLabelKeys: [pod-template-hash]
      {{- end }}
    {{- end }}
  {{- end }}
  {{- with .Values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  containers:
    - name: bridge
      image: {{ include "tkb.image" . | quote }}
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      args: [serve]
      env:
        - name: BRIDGE_CONFIG
          value: {{ include "tkb.configDir" . }}/bridge.yaml
        {{- with .Values.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- with .Values.extraEnvFrom }}
      envFrom:
        {{- toYaml . | nindent 8 }}
      {{- end }}
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
      volumeMounts:
        - name: config
          mountPath: {{ include "tkb.configDir" . }}
          readOnly: true
        {{- if $secretName }}
        - name: secrets
          mountPath: {{ include "tkb.secretsDir" . }}
          readOnly: true
        {{- end }}
        {{- if .Values.tls.secretName }}
        # The whole volume, never a subPath: only then does the kubelet's update of a renewed Secret reach the
        # files, which the bridge then reloads without a restart.
        - name: tls
          mountPath: {{ include "tkb.tlsDir" . }}
          readOnly: true
        {{- end }}
        - name: tmp
          mountPath: /tmp
        {{- if .Values.spool.enabled }}
        - name: spool
          mountPath: {{ .Values.spool.dir }}
        {{- end }}
        {{- with .Values.extraVolumeMounts }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
  volumes:
    - name: config
      configMap:
        name: {{ include "tkb.fullname" . }}
    {{- if $secretName }}
    - name: secrets
      secret:
        secretName: {{ $secretName }}
        # Readable by the pod's fsGroup (the bridge's group), nobody else.
        defaultMode: 288 # 0440, written in decimal: YAML 1.2 readers take 0440 for 440
    {{- end }}
    {{- with .Values.tls.secretName }}
    - name: tls
      secret:
        secretName: {{ . }}
        defaultMode: 288 # 0440, as the secrets above
    {{- end }}
    # The root filesystem is read-only; a small scratch /tmp for anything that expects one.
    - name: tmp
      emptyDir:
        sizeLimit: 16Mi
    {{- with .Values.extraVolumes }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- end }}

{{/*
PromQL label matchers picking this release's series in the alerts: prometheusRule.selector, or the labels the
ServiceMonitor's scrape gives them (namespace, and job: the Service's name).
*/}}
{{- define "tkb.ruleSelector" -}}
{{- .Values.prometheusRule.selector | default (printf "namespace=%q, job=%q" .Release.Namespace (include "tkb.scrapedService" .)) }}
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
helm.sh/chart: {{ include "tkb.chart" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: thingspace-kafka-bridge
app.kubernetes.io/component: helm-test
{{- end }}
