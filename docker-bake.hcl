# Build every Pathwise image from the one Dockerfile: `docker buildx bake`
# (`docker buildx bake --set '*.platform=linux/amd64,linux/arm64' --push` for a registry;
# `docker buildx bake path-svc` for one). Each service target passes its folder under
# services/ as SERVICE; `devtools` is the `pathwise` CLI with the development sinks.
variable "TAG" {
  default = "dev"
}

variable "REGISTRY" {
  # Prefix for image names, e.g. "registry.example.org/district/"; empty for local images.
  default = ""
}

variable "PYTHON_IMAGE" {
  default = "python:3.11-slim-bookworm"
}

group "default" {
  targets = ["assessment-svc", "profile-svc", "path-svc", "notify-svc", "portal", "devtools"]
}

target "_common" {
  context    = "."
  dockerfile = "Dockerfile"
  args = {
    PYTHON_IMAGE = PYTHON_IMAGE
  }
  labels = {
    "org.opencontainers.image.source" = "pathwise"
  }
}

target "_service" {
  inherits = ["_common"]
  target   = "service"
}

target "assessment-svc" {
  inherits = ["_service"]
  args     = { SERVICE = "assessment-svc" }
  tags     = ["${REGISTRY}pathwise/assessment-svc:${TAG}"]
}

target "profile-svc" {
  inherits = ["_service"]
  args     = { SERVICE = "profile-svc" }
  tags     = ["${REGISTRY}pathwise/profile-svc:${TAG}"]
}

target "path-svc" {
  inherits = ["_service"]
  args     = { SERVICE = "path-svc" }
  tags     = ["${REGISTRY}pathwise/path-svc:${TAG}"]
}

target "notify-svc" {
  inherits = ["_service"]
  args     = { SERVICE = "notify-svc" }
  tags     = ["${REGISTRY}pathwise/notify-svc:${TAG}"]
}

target "portal" {
  inherits = ["_service"]
  args     = { SERVICE = "portal", PORT = "8105" }
  tags     = ["${REGISTRY}pathwise/portal:${TAG}"]
}

target "devtools" {
  inherits = ["_common"]
  target   = "devtools"
  tags     = ["${REGISTRY}pathwise/devtools:${TAG}"]
}
