"""profile-svc's HTTP surface: enrollment and profiles, guardians, the learner profile,
roster imports and exports, and the portal's glance reads."""
