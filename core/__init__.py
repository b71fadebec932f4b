"""What every other room stands on: errors, value types, models and encoders, and the library
store (catalog, vector snapshot, check). It imports nothing of vidseek above it."""
