{{/* Chart name, for app.kubernetes.io/name. */}}
{{- define "replikube.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Name prefix of every resource: the release name, plus the chart name unless
the release name contains it. Release "replikube" gives the names
config/default uses (replikube-manager ...).
*/}}
{{- define "replikube.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "replikube.managerName" -}}
{{- printf "%s-manager" (include "replikube.fullname" .) }}
{{- end }}

{{- define "replikube.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every resource. */}}
{{- define "replikube.labels" -}}
helm.sh/chart: {{ include "replikube.chart" . }}
{{ include "replikube.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Labels that select the operator pods; immutable once installed. */}}
{{- define "replikube.selectorLabels" -}}
app.kubernetes.io/name: {{ include "replikube.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: manager
{{- end }}

{{- define "replikube.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "replikube.managerName" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The operator image, repository:tag. */}}
{{- define "replikube.image" -}}
{{- printf "%s:%s" (required "image.repository is required" .Values.image.repository) (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{- define "replikube.leaderElectionNamespace" -}}
{{- default .Release.Namespace .Values.manager.leaderElection.namespace }}
{{- end }}

{{/* Whether the metrics endpoint is on ("0" turns it off). */}}
{{- define "replikube.metricsEnabled" -}}
{{- if and .Values.manager.metricsBindAddress (ne (toString .Values.manager.metricsBindAddress) "0") }}true{{ end }}
{{- end }}

{{/* The port of a bind address such as ":8080" or "0.0.0.0:8080". */}}
{{- define "replikube.port" -}}
{{- $port := regexReplaceAll "^.*:" (toString .) "" }}
{{- if not (regexMatch "^[0-9]+$" $port) }}
{{- fail (printf "bind address %q has no port" (toString .)) }}
{{- end }}
{{- $port }}
{{- end }}
