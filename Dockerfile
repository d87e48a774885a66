FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY service ./service
COPY schema ./schema
COPY alembic ./alembic
RUN pip install --no-cache-dir . && useradd --system tvaers
USER tvaers
EXPOSE 8000
CMD ["tvaers", "serve", "--host", "0.0.0.0", "--port", "8000"]
