-- One database per service on the Compose Postgres (each service owns its database).
CREATE DATABASE assessment;
CREATE DATABASE profile;
CREATE DATABASE path;
CREATE DATABASE notify;
