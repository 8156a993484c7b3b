#!/bin/sh
# Format the log on first start with the SCRAM user the services log in as
# (KRaft keeps SCRAM credentials in its metadata log), then run the broker.
set -eu
config=/etc/pathwise/kafka/server.properties
/opt/kafka/bin/kafka-storage.sh format --ignore-formatted \
  --cluster-id "$CLUSTER_ID" --config "$config" \
  --add-scram "SCRAM-SHA-512=[name=$KAFKA_SASL_USERNAME,password=$KAFKA_SASL_PASSWORD]"
exec /opt/kafka/bin/kafka-server-start.sh "$config"
