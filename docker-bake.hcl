# Build every Pathwise image with one command: `docker buildx bake` (or
# `docker buildx bake --set '*.platform=linux/amd64,linux/arm64' --push` for a registry).
variable "TAG" {
  default = "dev"
}

variable "REGISTRY" {
  # Prefix for image names, e.g. "registry.example.org/district/"; empty for local images.
  default = ""
}

group "default" {
  targets = ["assessment-svc", "profile-svc", "path-svc", "notify-svc"]
}

target "_service" {
  context = "."
  args = {
    PYTHON_IMAGE = "python:3.11-slim-bookworm"
  }
  labels = {
    "org.opencontainers.image.source" = "pathwise"
  }
}

target "assessment-svc" {
  inherits   = ["_service"]
  dockerfile = "services/assessment-svc/Dockerfile"
  tags       = ["${REGISTRY}pathwise/assessment-svc:${TAG}"]
}

target "profile-svc" {
  inherits   = ["_service"]
  dockerfile = "services/profile-svc/Dockerfile"
  tags       = ["${REGISTRY}pathwise/profile-svc:${TAG}"]
}

target "path-svc" {
  inherits   = ["_service"]
  dockerfile = "services/path-svc/Dockerfile"
  tags       = ["${REGISTRY}pathwise/path-svc:${TAG}"]
}

target "notify-svc" {
  inherits   = ["_service"]
  dockerfile = "services/notify-svc/Dockerfile"
  tags       = ["${REGISTRY}pathwise/notify-svc:${TAG}"]
}
