"""assessment-svc's HTTP surface: results, the competency mapping, the standards'
formats (OneRoster, Ed-Fi, Caliper) and the xAPI statement resource."""
