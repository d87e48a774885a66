FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY service ./service
COPY schema ./schema
COPY alembic ./alembic
RUN pip install --no-cache-dir . && useradd --system tvaers
USER tvaers
EXPOSE 8000
# `tvaers serve` checks the configuration and the schema, then runs uvicorn with TVAERS_WORKERS processes;
# it stops gracefully on SIGTERM (docker stop). Exec form, so the signal reaches it.
ENV TVAERS_WORKERS=2
CMD ["tvaers", "serve", "--host", "0.0.0.0", "--port", "8000"]
